import { z } from 'zod';
import { RoleSchema } from './auth.schema';

/** A user as admins see it (`GET /admin/users`). */
export const UserSummarySchema = z.object({
  username: z.string(),
  role: RoleSchema,
  disabled: z.boolean(),
  created_at: z.string(),
  last_sign_in_at: z.string().nullable(),
  /** A reset (or generated) password waits to be changed at the next sign-in. */
  must_change_password: z.boolean(),
});

/** `POST /admin/users` */
export const CreateUserRequestSchema = z.object({
  username: z.string(),
  password: z.string(),
  role: RoleSchema,
});

/** `PATCH /admin/users/:username`: change the role, or disable (ends their sessions). */
export const UpdateUserRequestSchema = z.object({
  role: RoleSchema.optional(),
  disabled: z.boolean().optional(),
});

/**
 * `POST /admin/users/:username/password-reset`: the generated temporary password, shown once.
 * The user's sessions ended; at the next sign-in they must change it.
 */
export const PasswordResetResponseSchema = z.object({
  username: z.string(),
  temporary_password: z.string(),
  must_change_password: z.literal(true),
});

/** `GET /admin/users/:username/sessions`: one open session (a refresh-token family), by its id only. */
export const UserSessionSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  /** The last refresh: when, and from which client; null before the first. */
  last_used_at: z.string().nullable(),
  last_client: z.string().nullable(),
  /** `GET /me/sessions` only: the session the asking token belongs to. */
  current: z.boolean().optional(),
});
