import { z } from 'zod';

/** Every error body (RFC 9457 problem+json). */
export const ProblemDetailsSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional(),
    /** Seconds to wait, on 429 and on 403 for a blocked client. */
    retry_after: z.int().optional().describe('Seconds to wait, on 429 and on 403 for a blocked client.'),
    /** Field-level messages on 400. */
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('Field-level messages on 400.'),
    /** On a refusal by a standing decision: its reference, which admins look up in /admin/decisions. */
    reference: z.string().optional().describe('On a refusal by a standing decision: its reference, to look up in /admin/decisions.'),
    /** On a 401 for a wrong password, when at most 2 failures are left before this client's sign-ins pause. */
    attempts_left: z
      .int()
      .min(0)
      .optional()
      .describe(
        'On a 401 for a wrong password, only when at most 2 are left: the failed sign-ins this client has before its sign-ins pause (0: this one started the pause). Never on a refusal.',
      ),
    /** With attempts_left: how long that pause lasts. */
    pause_seconds: z.int().min(1).optional().describe('With `attempts_left`: how many seconds that pause lasts.'),
  })
  .describe('RFC 9457 problem details');
