/** Query parameters in a failed query's text: what must never reach a log. */
const FAILED_QUERY = /Failed query: [\s\S]*?\nparams: [^\n]*/g;

/**
 * The text of an error as it may be logged. A failed query's message (Drizzle's "Failed query:
 * <sql> params: <values>") quotes its parameters: password hashes, token ids, usernames. Only
 * the cause is kept (ECONNREFUSED, a SQLSTATE and its message), never the query or its values.
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    const message = typeof e.message === 'string' ? e.message : '';
    if (message.startsWith('Failed query:')) {
      parts.push('query failed');
    } else if (message || e.code) {
      parts.push([typeof e.code === 'string' ? e.code : '', message.replace(FAILED_QUERY, '[query not logged]')].filter(Boolean).join(' '));
    }
  }
  return parts.join(': ') || String(err);
}
