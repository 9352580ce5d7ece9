import { SetMetadata } from '@nestjs/common';
import type { Role } from '@bouncer/contracts';

export const ROLES_KEY = 'bouncer:roles';

/** Only these roles may call the route (checked by RolesGuard after authentication). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
