import { SetMetadata } from '@nestjs/common';

export const ALLOWED_BEFORE_PASSWORD_CHANGE_KEY = 'bouncer:allowed-before-password-change';

/**
 * The route stays open to a token of an account that must change its password first (reading
 * one's own account, changing the password, signing out). Every other route refuses such a
 * token with 403 `password-change-required` (JwtAuthGuard).
 */
export const AllowedBeforePasswordChange = () => SetMetadata(ALLOWED_BEFORE_PASSWORD_CHANGE_KEY, true);
