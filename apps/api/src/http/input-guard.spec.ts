import { findUnstorable, jsonDepthExceeds, MAX_JSON_DEPTH, unstorable } from './input-guard';

describe('jsonDepthExceeds', () => {
  const arrays = (d: number) => '['.repeat(d) + ']'.repeat(d);
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonDepthExceeds(arrays(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(arrays(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds('{"a":'.repeat(5) + '1' + '}'.repeat(5), 4)).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`, 2)).toBe(false);
  });
  it('stops early on a huge body', () => {
    expect(jsonDepthExceeds(arrays(1_000_000), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('unstorable strings', () => {
  it.each([
    ['a\u0000b', /NUL/],
    ['\ud800', /surrogate/],
    ['x\udc00', /surrogate/],
  ])('refuses %j', (s, why) => expect(unstorable(s)).toMatch(why));
  it.each(['plain', '😀 emoji', 'пётр', ''])('accepts %j', (s) => expect(unstorable(s)).toBeNull());

  it('finds them in keys and nested values, with where they are', () => {
    expect(findUnstorable({ a: [1, { b: 'x\u0000' }] }, '')).toEqual({ field: 'a.1.b', message: 'contains a NUL character' });
    expect(findUnstorable({ ['k\u0000']: 1 }, 'query')).toEqual({ field: 'query.k\u0000', message: 'name contains a NUL character' });
    expect(findUnstorable({ a: 'fine', b: [true, null, 3] }, '')).toBeNull();
  });
});

describe('what findUnstorable walks', () => {
  it('walks null-prototype objects (parsed query strings) like plain ones', () => {
    const query = Object.assign(Object.create(null) as Record<string, unknown>, { q: 'a\u0000' });
    expect(findUnstorable(query, 'query')).toEqual({ field: 'query.q', message: 'contains a NUL character' });
  });

  it('walks what fast-querystring makes (Fastify’s query and form parser: a prototype without a constructor)', () => {
    // fast-querystring's result: an instance of a bare prototype (no constructor, null above it).
    const form = Object.assign(Object.create(Object.create(null) as object) as Record<string, unknown>, { refresh_token: '\u0000' });
    expect(findUnstorable(form, '')).toEqual({ field: 'refresh_token', message: 'contains a NUL character' });
    // A body's own "constructor" key does not hide the rest.
    expect(findUnstorable(JSON.parse('{"constructor":"x","a":"\\u0000"}'), '')).toEqual({
      field: 'a',
      message: 'contains a NUL character',
    });
  });

  it('does not walk a streamed body, a Buffer or any class instance (a stream graph is endless)', () => {
    // A reverse-proxied body is the request stream itself: socket, server, parser, ... Walking it
    // to the depth limit took forever at full CPU before this rule.
    const { PassThrough } = jest.requireActual<typeof import('node:stream')>('node:stream');
    const stream = new PassThrough();
    const started = performance.now();
    expect(findUnstorable(stream, '')).toBeNull();
    expect(findUnstorable(Buffer.from('a\u0000b'), '')).toBeNull();
    expect(
      findUnstorable(
        new (class Holder {
          s = 'x\u0000';
        })(),
        '',
      ),
    ).toBeNull();
    expect(performance.now() - started).toBeLessThan(50);
  });
});
