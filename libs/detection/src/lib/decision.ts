/** What the engine answers for one event. */
export type Verdict =
  /** Go on. */
  | 'allow'
  /** Go on; a rule in observe mode would have refused (recorded, not enforced). */
  | 'observe'
  /** Go on; the client is now or still suspicious. */
  | 'suspicious'
  /** Refused: see `status` and `retryAfter`. */
  | 'blocked';

export interface Decision {
  verdict: Verdict;
  /** The rule behind the verdict (`request-rate`, `admin`, `denylist` …). */
  ruleId?: string;
  /** In words, with its numbers: "more than 300 requests in 60 s". */
  reason?: string;
  /** When the refusal ends, ms since the epoch. */
  until?: number;
  /** Seconds to wait, at least 1, for Retry-After. */
  retryAfter?: number;
  /** 403 for a blocked client, 429 for a throttled action (a sign-in in its buffer). */
  status?: 403 | 429;
  /** Refusals of a token's use say so: the caller revokes it. */
  revokeToken?: boolean;
  /** Sign-in attempts: what the attempt holds, to be handed back with its outcome. */
  ticket?: import('./events').SignInTicket;
  /** The threshold behind a throttle, for RateLimit headers. */
  limit?: { policy: string; limit: number; windowSeconds: number };
  /** The reference (`decisionRef`) of the standing decision behind a refusal, which admins can look up. */
  ref?: string;
  /** Failed sign-ins: the nearest pause of this client's sign-ins (see `SignInWarning`). */
  signInWarning?: SignInWarning;
}

/**
 * After a failed sign-in: how many more failures this client has before its sign-ins pause, and
 * for how long. `attemptsLeft` 0: this failure started the pause. The engine always reports it;
 * the app decides how much of it to tell the client.
 */
export interface SignInWarning {
  attemptsLeft: number;
  pauseSeconds: number;
}

/** Which routes a block closes: every route, or only the sign-in routes (a time buffer). */
export type BlockScope = 'all' | 'sign-in';

/** A standing decision about one client: what the dashboard lists and the database keeps. */
export interface StandingDecision {
  client: string;
  state: 'blocked' | 'suspicious';
  scope: BlockScope;
  rule: string;
  reason: string;
  createdAt: number;
  expiresAt: number;
  /** `rule:<id>`, `admin:<username>` or `list:deny`. */
  decidedBy: string;
  /** False for a rule in observe mode: recorded and shown, not enforced. */
  enforced: boolean;
}

/** Repeat-offender memory: the last block of a client, for escalation. */
export interface OffenceHistory {
  at: number;
  seconds: number;
  count: number;
}

/**
 * What the engine did that the world must know: the app stores and audits decisions and
 * lifts, shares them with other instances, and revokes tokens. The engine has already applied
 * them to its own decision book when it emits them.
 */
export type Effect =
  | { type: 'decided'; decision: StandingDecision }
  | { type: 'extended'; decision: StandingDecision }
  | { type: 'lifted'; client: string; state: 'blocked' | 'suspicious'; by: string; why: string }
  | { type: 'offence'; client: string; history: OffenceHistory }
  | { type: 'notice'; event: string; client: string | null; actor: string | null; detail: string }
  | { type: 'revoke-token'; token: string };

/** Where effects go. Called synchronously; an implementation that does I/O queues it. */
export interface EventSink {
  /** `cause`: what caused the event that had this effect (a request id), when its caller said. */
  record(effect: Effect, cause?: string): void;
}

/** Bounded: a flood of decisions costs at most this many remembered references (about 1 MB). */
const KNOWN_REFS_MAX = 10_000;
const knownRefs = new Map<string, string>();
/** The fields a reference is made of are never changed on a decision object (the book replaces decisions). */
const refsByDecision = new WeakMap<object, string>();

/**
 * A standing decision's reference: the same on every instance and after a restart (it is
 * derived from what is stored), and it tells nothing about the decision to whoever holds it.
 * A refusal carries it so the refused client can quote it and an admin can look it up.
 */
export function decisionRef(d: Pick<StandingDecision, 'client' | 'state' | 'scope' | 'createdAt'>): string {
  // The book hands out the same object for a decision's whole life: its reference is found by
  // the object, without building the key below on every refusal.
  const known = refsByDecision.get(d);
  if (known !== undefined) return known;
  const key = `${d.client}|${d.state}|${d.scope}|${d.createdAt}`;
  // Every refusal of a blocked client quotes it: worked out once per decision, not per request
  // (the BigInt arithmetic below allocates on every step).
  let ref = knownRefs.get(key);
  if (ref === undefined) {
    // FNV-1a, 64 bits: a lookup handle, not a secret (the engine stays free of node:crypto).
    let h = 0xcbf29ce484222325n;
    for (const ch of key) {
      h ^= BigInt(ch.codePointAt(0) ?? 0);
      h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    ref = `d-${h.toString(16).padStart(16, '0').slice(0, 12)}`;
    if (knownRefs.size >= KNOWN_REFS_MAX) knownRefs.clear();
    knownRefs.set(key, ref);
  }
  refsByDecision.set(d, ref);
  return ref;
}
