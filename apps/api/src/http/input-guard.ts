import type { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from './problem.exception';

/**
 * Deepest nesting a JSON body may have. Bouncer's bodies are flat objects; class-transformer
 * recurses once per level and overflowed the stack at a few thousand.
 */
export const MAX_JSON_DEPTH = 32;

/** Cookies Bouncer reads; other cookies on the same host are not ours to judge. */
const OWN_COOKIE_PREFIX = 'bn_';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (String#isWellFormed, before ES2024). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** How deep `text` nests arrays and objects, stopping as soon as it passes `limit` (no recursion). */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * Why a string cannot be accepted, or null. PostgreSQL text cannot hold NUL (the write fails,
 * after whatever happened in memory), and a lone UTF-16 surrogate is silently replaced when
 * encoded, so what is stored would not be what was checked.
 */
export function unstorable(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired surrogate (not valid Unicode text)';
  return null;
}

/** The first unstorable string in `value` (keys included), with where it is. `value` is already depth-limited. */
export function findUnstorable(value: unknown, where: string, depth = 0): { field: string; message: string } | null {
  if (typeof value === 'string') {
    const why = unstorable(value);
    return why ? { field: where, message: why } : null;
  }
  if (value === null || typeof value !== 'object' || depth > MAX_JSON_DEPTH) return null;
  // Only what a parser made from text is walked (JSON, forms, query strings: plain objects and
  // arrays). A streamed body (the reverse proxy forwards the request stream itself) or a Buffer
  // is not data to check: walking a stream's object graph (socket, server, ...) never ends.
  if (!Array.isArray(value) && !isPlainObject(value)) return null;
  for (const [key, item] of Object.entries(value)) {
    const field = where ? `${where}.${key}` : key;
    const keyWhy = unstorable(key);
    if (keyWhy) return { field, message: `name ${keyWhy}` };
    const found = findUnstorable(item, field, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Data a parser made: its prototype is null, Object.prototype, or a bare prototype without a
 * constructor (fast-querystring, behind Fastify's query and form parsing, makes those). Streams,
 * Buffers and class instances have a constructor of their own. Looked up on the prototype, not
 * the object, so a body's own "constructor" key changes nothing.
 */
function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return true;
  const ctor: unknown = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  return ctor === undefined || ctor === Object;
}

function refuse(found: { field: string; message: string }): ProblemException {
  // The field's name is the client's text: shown readable and short.
  const problem = { ...found, field: found.field.replace(/\p{Cc}/gu, '\ufffd').slice(0, 80) };
  return new ProblemException(400, 'Bad Request', `The request is invalid: ${problem.field} ${problem.message}.`, { errors: [problem] });
}

/**
 * The one place where input that no handler could store is refused, for every route: JSON
 * nested deeper than MAX_JSON_DEPTH at parse time, and NUL or broken Unicode in the path
 * parameters, query, body or Bouncer's cookies before any guard or handler runs (so nothing
 * is counted, changed or half-done).
 */
export function installInputGuard(adapter: FastifyAdapter): void {
  const fastify = adapter.getInstance();
  // Nest's JSON and form parsers, registered now rather than at init so the JSON one can be replaced.
  adapter.registerParserMiddleware();
  const defaultJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(
        new ProblemException(400, 'Bad Request', `The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`, {
          errors: [{ field: 'body', message: `nested more than ${MAX_JSON_DEPTH} levels deep` }],
        }),
        undefined,
      );
      return;
    }
    void defaultJson(req, text, done);
  });

  fastify.addHook('preValidation', (req: FastifyRequest, _reply, done) => {
    const cookies = Object.fromEntries(Object.entries(req.cookies ?? {}).filter(([name]) => name.startsWith(OWN_COOKIE_PREFIX)));
    const found =
      findUnstorable(req.params, 'path') ??
      findUnstorable(req.query, 'query') ??
      findUnstorable(cookies, 'cookie') ??
      findUnstorable(req.body, '');
    done(found ? refuse({ ...found, field: found.field || 'body' }) : undefined);
  });
}
