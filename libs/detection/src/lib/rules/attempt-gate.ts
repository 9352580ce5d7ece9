import type { AttemptHold, SignInTicket } from '../events';
import type { CounterOp, CounterResult } from '../store/counter-store';

/**
 * The arithmetic shared by the two sign-in rules (per client: `login-buffer`; per account:
 * `account-backoff`). Attempts are counted BEFORE the password is checked, so simultaneous
 * guesses cannot slip between a check and a count:
 *
 * - the first `free` attempts in the memory window are checked at once, in parallel if they
 *   come so (each takes a place in `n:<subject>`);
 * - the `free`-th attempt also closes the gate `g:<subject>` while it is in flight;
 * - beyond that, an attempt must take the gate: one at a time, and never while the gate holds
 *   a delay. A failure beyond the free ones re-arms the gate for a delay that grows with the
 *   failures; a success or an attempt never checked gives its place and the gate back.
 *
 * So N guesses sent at once get exactly the checks N guesses sent one by one would.
 * The gate's count says why it is closed: 1 an attempt in flight, 2 a delay.
 */
export const IN_FLIGHT = 1;
export const DELAYED = 2;
/** A reservation whose answer never came (a crashed request) frees the gate after this. */
export const PENDING_MS = 30_000;

export function planAttempt(subject: string, free: number, memoryMs: number): CounterOp[] {
  const n = `n:${subject}`;
  const g = `g:${subject}`;
  return [
    { op: 'take', key: n, windowMs: memoryMs, limit: free },
    { op: 'arm', key: g, windowMs: PENDING_MS, count: IN_FLIGHT, if: { ref: 0, admitted: true, atLeast: free } },
    { op: 'take', key: g, windowMs: PENDING_MS, limit: 1, if: { ref: 0, admitted: false } },
    { op: 'add', key: n, windowMs: memoryMs, if: { ref: 2, admitted: true } },
  ];
}

/** The attempt's hold, or the gate that refused it. */
export function attemptOutcome(r: readonly CounterResult[]): { hold: AttemptHold } | { gate: CounterResult } {
  const [place, closed, gate, counted] = r as [CounterResult, CounterResult, CounterResult, CounterResult];
  if (place.admitted) return { hold: { position: place.count, holdsGate: closed.ran } };
  if (gate.admitted) return { hold: { position: counted.count, holdsGate: true } };
  return { gate };
}

/** After a failed check: a failure at or beyond the free ones closes the gate for `delayMs`. */
export function planFailure(subject: string, hold: AttemptHold, free: number, delayMs: number): CounterOp[] {
  return hold.holdsGate && hold.position >= free ? [{ op: 'arm', key: `g:${subject}`, windowMs: delayMs, count: DELAYED }] : [];
}

/** After a success or an unchecked attempt: the place and the gate are given back. */
export function planRelease(subject: string, hold: AttemptHold, memoryMs: number): CounterOp[] {
  const ops: CounterOp[] = [{ op: 'add', key: `n:${subject}`, windowMs: memoryMs, by: -1 }];
  if (hold.holdsGate) ops.push({ op: 'del', key: `g:${subject}` });
  return ops;
}

export function holdOf(ticket: SignInTicket, ruleId: string): AttemptHold | undefined {
  return ticket.holds[ruleId];
}
