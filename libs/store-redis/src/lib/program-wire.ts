import type { CounterOp, CounterResult, Guard } from '@bouncer/detection';

/** A guard as the script reads it: `r` is 1-based (Lua tables), `a` is 0|1 so the script compares numbers with numbers. */
interface WireGuard {
  r: number;
  a?: 0 | 1;
  t?: number;
}

/** One op as the script reads it; short names keep the JSON of a busy program small. */
interface WireOp {
  o: CounterOp['op'];
  /** 1-based index into KEYS. */
  k: number;
  w?: number;
  b?: number;
  l?: number;
  n?: number;
  m?: string;
  /** 1 for a sliding `add`. */
  s?: 1;
  g?: WireGuard;
}

export interface EncodedProgram {
  /** Distinct full Redis keys, declared to the script (Cluster routes by them). */
  keys: string[];
  json: string;
}

/** Script reply per op: ran, count, resetAt, admitted, and the first member for `see`. */
export type WireResult = [number, number, number, number, string?];

/** Turns a program into script arguments; each counter appears once in KEYS, however many ops use it. */
export function encodeProgram(ops: readonly CounterOp[], fullKey: (key: string) => string): EncodedProgram {
  const index = new Map<string, number>();
  const keys: string[] = [];
  const keyIndex = (key: string): number => {
    let k = index.get(key);
    if (k === undefined) {
      keys.push(fullKey(key));
      k = keys.length;
      index.set(key, k);
    }
    return k;
  };
  const wire = ops.map((op): WireOp => {
    const w: WireOp = { o: op.op, k: keyIndex(op.key) };
    if (op.if) w.g = encodeGuard(op.if);
    switch (op.op) {
      case 'add':
        return op.sliding ? { ...w, w: op.windowMs, b: op.by ?? 1, s: 1 } : { ...w, w: op.windowMs, b: op.by ?? 1 };
      case 'take':
        return { ...w, w: op.windowMs, l: op.limit };
      case 'arm':
        return { ...w, w: op.windowMs, n: op.count ?? 1 };
      case 'see':
        return { ...w, w: op.windowMs, m: op.member };
      case 'get':
      case 'del':
        return w;
    }
  });
  return { keys, json: JSON.stringify(wire) };
}

function encodeGuard(g: Guard): WireGuard {
  const w: WireGuard = { r: g.ref + 1 };
  if (g.admitted !== undefined) w.a = g.admitted ? 1 : 0;
  if (g.atLeast !== undefined) w.t = g.atLeast;
  return w;
}

export function decodeResults(reply: readonly WireResult[], expected: number): CounterResult[] {
  if (reply.length !== expected) throw new Error(`counter program: ${expected} ops but ${reply.length} results`);
  return reply.map(([ran, count, resetAt, admitted, first]) => {
    const r: CounterResult = { ran: ran === 1, count: Number(count), resetAt: Number(resetAt), admitted: admitted === 1 };
    if (first !== undefined) r.first = first;
    return r;
  });
}
