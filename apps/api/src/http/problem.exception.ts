import { HttpException } from '@nestjs/common';

export interface ProblemOptions {
  /** A URI reference for the problem type; defaults to `about:blank`. */
  type?: string;
  /** Seconds to wait; sent as `Retry-After` and `retry_after`. */
  retryAfter?: number;
  /** IETF draft RateLimit headers, sent as given (429 responses). */
  rateLimit?: { policy: string; limit: number; remaining: number; resetSeconds: number; windowSeconds: number };
  /** Extra response headers (e.g. `WWW-Authenticate`). */
  headers?: Record<string, string>;
  /** Field-level messages (400). */
  errors?: { field: string; message: string }[];
  /** The reference of the decision behind a refusal (`reference` in the body). */
  reference?: string;
  /** A wrong password near a pause of the client's sign-ins (`attempts_left`, `pause_seconds` in the body). */
  signInWarning?: { attemptsLeft: number; pauseSeconds: number };
}

/**
 * An HTTP error with an RFC 9457 body. Every error Bouncer answers goes through
 * ProblemFilter, which renders this one with its headers.
 */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly title: string,
    readonly detail: string,
    readonly extras: ProblemOptions = {},
  ) {
    super(detail, status);
  }
}

/** The wait in words ("1 second", "300 seconds"): the engine's wording, so every refusal reads alike. */
export { describeWait } from '@bouncer/detection';
