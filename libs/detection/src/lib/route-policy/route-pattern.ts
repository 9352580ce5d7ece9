/**
 * Path patterns of the route policy, and the path normalisation both sides of a match use.
 *
 * Syntax (segments between slashes):
 *  - a literal segment matches itself (case-sensitive);
 *  - `:name` or `*` matches exactly one non-empty segment;
 *  - `**`, only as the last segment, matches zero or more segments (`/api/admin/**` matches
 *    `/api/admin` and everything below it).
 * A trailing slash is not significant (`/users/` is `/users`).
 */
export interface PathPattern {
  readonly source: string;
  readonly segments: readonly Segment[];
}

type Segment = { kind: 'literal'; value: string } | { kind: 'one' } | { kind: 'rest' };

/** Why a pattern is not valid, in words (the caller adds file and class), or null. */
export function patternProblem(pattern: string): string | null {
  if (!pattern.startsWith('/')) return 'must start with "/"';
  if (/[?#]/.test(pattern)) return 'must not contain "?" or "#" (a pattern matches the path only)';
  const parts = splitPath(pattern);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? '';
    if (p === '**' && i !== parts.length - 1) return '"**" may only be the last segment';
    if (p.includes('*') && p !== '*' && p !== '**') return `segment "${p}": "*" must be a whole segment`;
    if (p.startsWith(':') && !/^:[A-Za-z_][A-Za-z0-9_]*$/.test(p)) return `segment "${p}": a parameter is ":" and a name`;
  }
  return null;
}

export function compilePattern(pattern: string): PathPattern {
  const problem = patternProblem(pattern);
  if (problem) throw new Error(`path pattern ${pattern} ${problem}`);
  const segments = splitPath(pattern).map((p): Segment => {
    if (p === '**') return { kind: 'rest' };
    if (p === '*' || p.startsWith(':')) return { kind: 'one' };
    return { kind: 'literal', value: p };
  });
  return { source: pattern, segments };
}

/** Whether a normalised path (see normalizePath) matches. */
export function matchesPattern(pattern: PathPattern, path: string): boolean {
  const parts = splitPath(path);
  const segs = pattern.segments;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i] as Segment;
    if (s.kind === 'rest') return true;
    const p = parts[i];
    if (p === undefined) return false;
    if (s.kind === 'literal' && s.value !== p) return false;
  }
  return parts.length === segs.length;
}

/**
 * The path a request is matched on: no query or fragment, percent-escapes decoded (except an
 * encoded "/", which stays part of its segment), empty and "." segments dropped, ".." applied.
 * An upstream decodes the path before routing it, so a policy matched on the raw form could be
 * walked around with `/%61dmin/` or `/public/../admin`. Returns null for a path that cannot be
 * decoded (a bad escape): the caller refuses it.
 */
export function normalizePath(rawUrl: string): string | null {
  let path = rawUrl;
  const cut = path.search(/[?#]/);
  if (cut >= 0) path = path.slice(0, cut);
  // An absolute URL (a proxy may send one): keep its path.
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/.exec(path);
  if (abs) path = path.slice(abs[0].length);
  const out: string[] = [];
  for (const raw of path.split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw.replace(/%2f/gi, '%252F'));
    } catch {
      return null;
    }
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}

function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}
