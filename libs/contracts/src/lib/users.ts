import type { Role } from './auth';

/** A user as admins see it (`GET /admin/users`). */
export interface UserSummary {
  username: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  last_sign_in_at: string | null;
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
