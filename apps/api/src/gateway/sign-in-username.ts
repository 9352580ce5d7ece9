import { normalizeUsername } from '../policy/username';

/**
 * The account a sign-in request names: the `field` of a JSON object or of a form body, in
 * Bouncer's normal form (trimmed, NFKC, lower case), at most 256 characters. Null when the body
 * has no such field or cannot be read: the attempt is then counted for the client alone.
 */
export function signInUsername(field: string, contentType: string | undefined, body: string | Buffer | null | undefined): string | null {
  if (body === null || body === undefined) return null;
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.length === 0 || text.length > 64 * 1024) return null;
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  let value: unknown;
  if (type === 'application/x-www-form-urlencoded') {
    value = new URLSearchParams(text).get(field);
  } else if (type === 'application/json' || type.endsWith('+json') || type === '') {
    try {
      const parsed = JSON.parse(text) as unknown;
      value = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>)[field] : null;
    } catch {
      return null;
    }
  }
  if (typeof value !== 'string') return null;
  const name = normalizeUsername(value);
  return name.length === 0 || name.length > 256 ? null : name;
}
