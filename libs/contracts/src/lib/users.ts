import type { Role } from './auth';

/** A user as admins see it (`GET /admin/users`). */
export interface UserSummary {
  username: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  last_sign_in_at: string | null;
  /** A reset (or generated) password waits to be changed at the next sign-in. */
  must_change_password: boolean;
}

/** `POST /admin/users` */
export interface CreateUserRequest {
  username: string;
  password: string;
  role: Role;
}

/** `PATCH /admin/users/:username`: change the role, or disable (ends their sessions). */
export interface UpdateUserRequest {
  role?: Role;
  disabled?: boolean;
}

/**
 * `POST /admin/users/:username/password-reset`: the generated temporary password, shown once.
 * The user's sessions ended; at the next sign-in they must change it.
 */
export interface PasswordResetResponse {
  username: string;
  temporary_password: string;
  must_change_password: true;
}
