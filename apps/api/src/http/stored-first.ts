import { Logger } from '@nestjs/common';
import { ProblemException } from './problem.exception';
import { describeError } from '../db/query-errors';

const logger = new Logger('StoredFirst');

/** Seconds a client is told to wait when a change could not be stored. */
export const STORAGE_RETRY_SECONDS = 5;

/**
 * Runs the storing (and auditing) of a person's change before the change takes effect: if it
 * fails, the caller has not touched memory yet, and the answer is 503 with Retry-After, so an
 * action is either stored, audited and in force, or none of these.
 */
export async function storedFirst<T>(what: string, store: () => Promise<T>): Promise<T> {
  try {
    return await store();
  } catch (err) {
    if (err instanceof ProblemException) throw err;
    logger.error(`${what} could not be stored: ${describeError(err)}`);
    throw new ProblemException(
      503,
      'Service Unavailable',
      `The change could not be stored, so it was not made; try again in ${STORAGE_RETRY_SECONDS} seconds.`,
      { type: 'urn:bouncer:problem:storage-unavailable', retryAfter: STORAGE_RETRY_SECONDS },
    );
  }
}
