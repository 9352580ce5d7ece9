/** Every error body (RFC 9457 problem+json). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** Seconds to wait, on 429 and on 403 for a blocked client. */
  retry_after?: number;
  /** Field-level messages on 400. */
  errors?: { field: string; message: string }[];
  /** On a refusal by a standing decision: its reference, which admins look up in /admin/decisions. */
  reference?: string;
}
