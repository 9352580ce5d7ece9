import type { z } from 'zod';
import type * as S from '../schemas/problem.schema';

/** Every error body (RFC 9457 problem+json). */
export type ProblemDetails = z.infer<typeof S.ProblemDetailsSchema>;
