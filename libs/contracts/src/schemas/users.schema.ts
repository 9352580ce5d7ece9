import { z } from 'zod';
import { RoleSchema } from './auth.schema';

/** A user as admins see it (`GET /admin/users`). */
export const UserSummarySchema = z.object({
  username: z.string(),
  role: RoleSchema,
  disabled: z.boolean(),
  created_at: z.string(),
  last_sign_in_at: z.string().nullable(),
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
