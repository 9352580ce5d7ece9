import type { CounterOp, CounterResult, MemoryCounterStore } from '@bouncer/detection';

/** What an outage did to one counter, beyond what the local store itself still holds. */
interface Touched {
  /** A `del` or `arm` ran: the shared value is to be replaced, not added to. */
  replaced: boolean;
  /** `see` members of the current local window, in arrival order (the local store does not expose them). */
  members?: Set<string>;
}

/**
 * Which counters were touched locally while the shared store was away, so that its return can
 * hand the shared store exactly what it missed. The local store starts each outage empty and
 * is emptied by reconciling, so its counts ARE the outage's counts; the journal only adds what
 * counts cannot say (a reset happened; which members a set gained).
 */
export class OutageJournal {
  private readonly touched = new Map<string, Touched>();

  get size(): number {
    return this.touched.size;
  }

  /** Notes a program the local store ran, with its results. */
  record(ops: readonly CounterOp[], results: readonly CounterResult[]): void {
    ops.forEach((op, i) => {
      const r = results[i];
      if (!r?.ran || op.op === 'get') return;
      const t = this.entry(op.key);
      if (op.op === 'del' || op.op === 'arm') {
        t.replaced = true;
        t.members = undefined;
      } else if (op.op === 'see') {
        // A count of 1 is a set that (re)started here: members of a passed window are not carried over.
        if (r.count === 1 || !t.members) t.members = new Set();
        t.members.add(op.member);
      }
    });
  }

  /**
   * Takes up to `max` touched counters out of the journal and out of `local`, returning the
   * program that adds them to the shared store. Synchronous on purpose: local ops that arrive
   * while this program is in flight start fresh entries, to be picked up by the next batch.
   */
  drain(local: MemoryCounterStore, now: number, max: number): Drained {
    const program: CounterOp[] = [];
    const taken: [string, Touched][] = [];
    for (const [key, t] of this.touched) {
      if (taken.length >= max) break;
      taken.push([key, t]);
      this.touched.delete(key);
      const [held] = local.run(
        [
          { op: 'get', key },
          { op: 'del', key },
        ],
        now,
      );
      program.push(...replay(key, t, held && held.resetAt > now ? held : undefined, now));
    }
    const restore = () => {
      // The shared store did not take them: back into the local counts (added to whatever came
      // in meanwhile, so nothing is lost; at worst a reset is undone) and into the journal.
      local.run(program.flatMap(asLocalRestore), now);
      taken.forEach(([key, t]) => this.merge(key, t));
    };
    return { program, keys: taken.length, restore };
  }

  private entry(key: string): Touched {
    let t = this.touched.get(key);
    if (!t) this.touched.set(key, (t = { replaced: false }));
    return t;
  }

  private merge(key: string, old: Touched): void {
    const current = this.touched.get(key);
    if (!current) {
      this.touched.set(key, old);
      return;
    }
    current.replaced ||= old.replaced;
    if (old.members) current.members = new Set([...old.members, ...(current.members ?? [])]);
  }
}

export interface Drained {
  /** Ops that bring the shared store up to date with the drained counters. */
  program: CounterOp[];
  /** Counters drained. */
  keys: number;
  /** Puts the drained counters back, locally and in the journal, when the program failed. */
  restore(): void;
}

/** The ops that tell the shared store what one counter went through during the outage. */
function replay(key: string, t: Touched, held: CounterResult | undefined, now: number): CounterOp[] {
  const ops: CounterOp[] = [];
  if (t.replaced && (!held || t.members)) ops.push({ op: 'del', key });
  if (!held) return ops;
  const windowMs = held.resetAt - now;
  if (t.members) {
    // Set union is idempotent: the shared set keeps its own first member, gains ours.
    for (const member of t.members) ops.push({ op: 'see', key, member, windowMs });
  } else if (t.replaced) {
    ops.push({ op: 'arm', key, windowMs, count: held.count });
  } else if (held.count > 0) {
    // Added into the shared window when one is open (the attacker gains nothing from the outage).
    ops.push({ op: 'add', key, windowMs, by: held.count });
  }
  return ops;
}

function asLocalRestore(op: CounterOp): CounterOp[] {
  if (op.op === 'del') return [];
  if (op.op === 'arm') return [{ op: 'add', key: op.key, windowMs: op.windowMs, by: op.count ?? 1 }];
  return [op];
}
