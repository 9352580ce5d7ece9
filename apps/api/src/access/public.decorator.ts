import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'bouncer:public';

/** The route needs no bearer token (the global JwtAuthGuard lets it through). */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
