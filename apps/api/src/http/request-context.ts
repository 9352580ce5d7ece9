import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request being served, for log lines written far from it (a decision the engine records
 * synchronously while it handles a request). Entered once per request, in the first hook.
 */
const requestContext = new AsyncLocalStorage<{ reqId: string }>();

export function runInRequest(reqId: string, next: () => void): void {
  requestContext.run({ reqId }, next);
}

/** The id of the request being served, if any (none in background jobs). */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.reqId;
}
