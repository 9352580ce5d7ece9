import type { BlockScope, OffenceHistory, StandingDecision } from '../decision';
import { CidrList } from '../net/client-identity';

type State = StandingDecision['state'];

/** How `put` treated a decision. */
export type PutOutcome = 'new' | 'extended' | 'kept';

/**
 * The standing decisions (blocked, suspicious) and the allow and deny lists, in memory: every
 * check on the request path is answered from here. A client holds at most one decision per
 * state and scope, so a short block on every route never replaces a longer sign-in buffer, and
 * a shorter decision never replaces a longer one. No I/O: the app persists what the engine's
 * effects say and restores the book at start.
 */
export class DecisionBook {
  private readonly exact = new Map<string, StandingDecision>();
  /**
   * How many entries of `exact` each client has: the usual request's client has none, and is
   * answered by one lookup of its key (whose hash the string keeps) instead of building
   * `state|scope|client` keys twice per request.
   */
  private readonly held = new Map<string, number>();
  /** Blocks on CIDR ranges an admin gave (not client keys). */
  private ranges: { list: CidrList; decision: StandingDecision }[] = [];
  private allow = new CidrList([]);
  private deny = new CidrList([]);
  private readonly offences = new Map<string, OffenceHistory>();

  constructor(private readonly ipv6Prefix = 64) {}

  // ---- lists ------------------------------------------------------------------------------

  setLists(allow: readonly string[], deny: readonly string[]): void {
    this.allow = new CidrList([...allow]);
    this.deny = new CidrList([...deny]);
  }

  isAllowlisted(client: string): boolean {
    return this.allow.size > 0 && this.allow.match(client) !== null;
  }

  /** The denylist entry covering the client (an allowlist entry wins), or null. */
  denyEntry(client: string): string | null {
    if (this.deny.size === 0) return null;
    const entry = this.deny.match(client);
    return entry && !this.isAllowlisted(client) ? entry : null;
  }

  // ---- the request path ---------------------------------------------------------------------

  /**
   * True when nothing in the book concerns this client: no decision of its own, no range block,
   * no allow or deny list. The usual request's answer, in one check instead of four.
   */
  isQuiet(client: string): boolean {
    return this.ranges.length === 0 && this.allow.size === 0 && this.deny.size === 0 && !this.held.has(client);
  }

  /** The block (enforced or observed) that covers this client for the given scope, or null. */
  blockFor(client: string, scope: BlockScope, now: number): StandingDecision | null {
    const d = this.held.has(client) ? this.live(key(client, 'blocked', scope), now) : null;
    if (d) return d;
    if (scope !== 'all') return null;
    for (const r of this.ranges) if (r.decision.expiresAt > now && r.list.match(client)) return r.decision;
    return null;
  }

  suspicion(client: string, now: number): StandingDecision | null {
    return this.held.has(client) ? this.live(key(client, 'suspicious', 'all'), now) : null;
  }

  state(client: string, now: number): 'normal' | 'suspicious' | 'blocked' {
    if (this.blockFor(client, 'all', now) || this.blockFor(client, 'sign-in', now) || this.denyEntry(client)) return 'blocked';
    return this.suspicion(client, now) ? 'suspicious' : 'normal';
  }

  // ---- changing it ------------------------------------------------------------------------

  /**
   * Records a decision. A standing one of the same state and scope that lasts as long or longer
   * is kept (a suspicion's reason is refreshed); a shorter one is replaced.
   */
  put(d: StandingDecision, now: number): PutOutcome {
    if (d.state === 'blocked' && this.isRange(d.client)) {
      const existing = this.ranges.find((r) => r.decision.client === d.client);
      if (existing && existing.decision.expiresAt > now && existing.decision.expiresAt >= d.expiresAt) return 'kept';
      this.ranges = this.ranges.filter((r) => r.decision.client !== d.client).concat({ list: new CidrList([d.client]), decision: d });
      return existing && existing.decision.expiresAt > now ? 'extended' : 'new';
    }
    const k = key(d.client, d.state, d.scope);
    const existing = this.live(k, now);
    if (existing && existing.expiresAt >= d.expiresAt) {
      if (d.state === 'suspicious' && existing.rule === d.rule) existing.reason = d.reason;
      return 'kept';
    }
    this.set(k, d);
    return existing ? 'extended' : 'new';
  }

  /** Removes the client's decisions of this state (every scope, or only `only`); returns those that stood. */
  remove(client: string, state: State, now: number, only?: BlockScope): StandingDecision[] {
    const out: StandingDecision[] = [];
    for (const scope of only ? [only] : (['all', 'sign-in'] as const)) {
      const k = key(client, state, scope);
      const d = this.exact.get(k);
      if (d) {
        this.delete(k, d);
        if (d.expiresAt > now) out.push(d);
      }
    }
    if (state === 'blocked' && only !== 'sign-in') {
      const hit = this.ranges.filter((r) => r.decision.client === client);
      this.ranges = this.ranges.filter((r) => r.decision.client !== client);
      out.push(...hit.map((r) => r.decision).filter((d) => d.expiresAt > now));
    }
    return out;
  }

  /** Drops every decision past its expiry; returns them. */
  expire(now: number): StandingDecision[] {
    const gone: StandingDecision[] = [];
    for (const [k, d] of this.exact) {
      if (d.expiresAt > now) continue;
      this.delete(k, d);
      gone.push(d);
    }
    const keep = this.ranges.filter((r) => r.decision.expiresAt > now);
    gone.push(...this.ranges.filter((r) => r.decision.expiresAt <= now).map((r) => r.decision));
    this.ranges = keep;
    return gone;
  }

  /** Standing decisions, newest first. */
  list(now: number, state?: State): StandingDecision[] {
    const all = [...this.exact.values(), ...this.ranges.map((r) => r.decision)];
    return all.filter((d) => d.expiresAt > now && (!state || d.state === state)).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Clients with a standing blocked decision of any scope inside the range (for allowlisting). */
  blockedWithin(range: string, now: number): string[] {
    const list = new CidrList([range]);
    return [
      ...new Set(
        this.list(now, 'blocked')
          .filter((d) => list.match(d.client) !== null)
          .map((d) => d.client),
      ),
    ];
  }

  // ---- repeat offenders -------------------------------------------------------------------

  offence(client: string): OffenceHistory | undefined {
    return this.offences.get(client);
  }

  setOffence(client: string, h: OffenceHistory): void {
    this.offences.set(client, h);
  }

  /** Forgets offences older than `before` (the healing job). */
  pruneOffences(before: number): number {
    let n = 0;
    for (const [c, h] of this.offences) {
      if (h.at >= before) continue;
      this.offences.delete(c);
      n++;
    }
    return n;
  }

  private set(k: string, d: StandingDecision): void {
    if (!this.exact.has(k)) this.held.set(d.client, (this.held.get(d.client) ?? 0) + 1);
    this.exact.set(k, d);
  }

  private delete(k: string, d: StandingDecision): void {
    this.exact.delete(k);
    const n = (this.held.get(d.client) ?? 1) - 1;
    if (n > 0) this.held.set(d.client, n);
    else this.held.delete(d.client);
  }

  private live(k: string, now: number): StandingDecision | null {
    const d = this.exact.get(k);
    return d && d.expiresAt > now ? d : null;
  }

  /** IPv6 client keys look like CIDRs (`2001:db8::/64`) but are exact keys, not ranges. */
  private isRange(client: string): boolean {
    if (!client.includes('/')) return false;
    return !(client.includes(':') && client.endsWith(`/${this.ipv6Prefix}`));
  }
}

function key(client: string, state: State, scope: BlockScope): string {
  return `${state}|${scope}|${client}`;
}
