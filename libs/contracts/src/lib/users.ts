import type { z } from 'zod';
import type * as S from '../schemas/users.schema';

/** A user as admins see it (`GET /admin/users`). */
export type UserSummary = z.infer<typeof S.UserSummarySchema>;

/** `POST /admin/users` */
export type CreateUserRequest = z.infer<typeof S.CreateUserRequestSchema>;

/** `PATCH /admin/users/:username`: change the role, or disable (ends their sessions). */
export type UpdateUserRequest = z.infer<typeof S.UpdateUserRequestSchema>;

/** `POST /admin/users/:username/password-reset`: the temporary password, shown once. */
export type PasswordResetResponse = z.infer<typeof S.PasswordResetResponseSchema>;

/** `GET /admin/users/:username/sessions`: one open session, by its id only. */
export type UserSession = z.infer<typeof S.UserSessionSchema>;
