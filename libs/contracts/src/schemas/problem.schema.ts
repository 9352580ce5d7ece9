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
  })
  .describe('RFC 9457 problem details');
