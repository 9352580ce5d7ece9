import type { Decision, RuleSet } from '@bouncer/detection';
import { blockedBody } from './refusal';

/**
 * A person, not a program: the browser is loading a page (a top-level navigation, or a GET
 * that asks for HTML first). Programs (fetch, curl, SDKs) keep problem+json.
 */
export function wantsHtmlPage(method: string | undefined, headers: Record<string, string | string[] | undefined>): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const mode = headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  const accept = headers['accept'];
  return typeof accept === 'string' && /^\s*text\/html\b/i.test(accept);
}

export interface BlockedAnswer {
  body: string;
  retryAfter: number;
  contentType: string;
}

/**
 * The gate's 403 for a blocked client: a small HTML page for a browser, problem+json for a
 * program. The page says only the state, the wait and the reference: never the rule, its
 * thresholds or an admin's note (those are for admins, under the reference). It has no script
 * and no style, so it passes `default-src 'none'`; it reloads itself when the wait is over.
 */
export function blockedAnswer(
  d: Decision,
  rules: RuleSet,
  method: string | undefined,
  headers: Record<string, string | string[] | undefined>,
): BlockedAnswer {
  return buildAnswer(d, rules, wantsHtmlPage(method, headers));
}

/**
 * The gate's answers, built once per standing decision, second left and kind (page or JSON): a
 * blocked client that keeps knocking gets the same bytes many times a second, and building the
 * text and JSON each time was most of what a refusal cost besides writing it. Keyed by the
 * decision's reference, which names one decision; bounded (cleared when full).
 */
export class BlockedAnswers {
  /** Per reference, the answers of its current second (a new second or status starts afresh). */
  private readonly built = new Map<string, { retryAfter: number; status: number; json?: Answer; page?: Answer }>();

  constructor(
    private readonly rules: RuleSet,
    private readonly max = 1_000,
  ) {}

  /** Decisions with answers kept now (at most `max`). */
  get size(): number {
    return this.built.size;
  }

  for(d: Decision, method: string | undefined, headers: Record<string, string | string[] | undefined>): Answer {
    const html = wantsHtmlPage(method, headers);
    if (!d.ref) return measured(buildAnswer(d, this.rules, html));
    // Looked up by the reference alone (a string the engine keeps, its hash computed once), not
    // by a key built per knock.
    const retryAfter = d.retryAfter ?? 1;
    const status = d.status ?? 403;
    let entry = this.built.get(d.ref);
    if (!entry || entry.retryAfter !== retryAfter || entry.status !== status) {
      if (!entry && this.built.size >= this.max) this.built.clear();
      entry = { retryAfter, status };
      this.built.set(d.ref, entry);
    }
    return html
      ? (entry.page ??= measured(buildAnswer(d, this.rules, true)))
      : (entry.json ??= measured(buildAnswer(d, this.rules, false)));
  }
}

type Answer = BlockedAnswer & { length: number };

function measured(a: BlockedAnswer): BlockedAnswer & { length: number } {
  return { ...a, length: Buffer.byteLength(a.body) };
}

function buildAnswer(d: Decision, rules: RuleSet, html: boolean): BlockedAnswer {
  if (!html) return { ...blockedBody(d, rules), contentType: 'application/problem+json' };
  const retryAfter = d.retryAfter ?? 1;
  const ref = d.ref ? escapeHtml(d.ref) : null;
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="${Math.min(retryAfter + 1, 86_400)}">
<title>Access paused</title>
</head>
<body>
<main>
<h1>Access from your network is paused</h1>
<p>This site has paused requests from your address for a while, to protect its users.</p>
<p><strong>Try again in ${humanWait(retryAfter)}.</strong> This page reloads itself then.</p>
${ref ? `<p>If you think this is a mistake, contact the site's administrators and give them this reference: <code>${ref}</code></p>` : ''}
</main>
</body>
</html>
`;
  return { body, retryAfter, contentType: 'text/html; charset=utf-8' };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A person reads "60 minutes", not "3600 seconds"; rounded up, so they never come back too early. */
export function humanWait(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s < 120) return unit(s, 'second');
  if (s < 2 * 3600) return unit(Math.ceil(s / 60), 'minute');
  if (s < 2 * 86_400) return unit(Math.ceil(s / 3600), 'hour');
  return unit(Math.ceil(s / 86_400), 'day');
}
