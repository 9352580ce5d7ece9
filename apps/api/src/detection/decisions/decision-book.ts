import type { DecisionView } from '@bouncer/contracts';
import { CidrList } from '../client-identity';
import { type BlockHistory, type Decision, type DecisionState, LOGIN_SCOPED_RULES, toView } from './decision';

/**
 * The standing decisions in memory, answered on the request path: blocked and suspicious
 * clients, admin blocks of whole ranges, and each client's last block (for escalation).
 * No I/O and no Nest: DecisionService stores, syncs and audits around it.
 */
export class DecisionBook {
  private readonly blocked = new Map<string, Decision>();
  private readonly suspicious = new Map<string, Decision>();
  /** Admin blocks of whole ranges, checked by membership. */
  private rangeBlocks: { list: CidrList; decision: Decision }[] = [];
  private readonly history = new Map<string, BlockHistory>();

  /** @param ipv6Prefix IPv6 client keys end in this prefix length. */
  constructor(private readonly ipv6Prefix: number) {}

  remember(decision: Decision): void {
    if (decision.state === 'blocked' && decision.client.includes('/') && !this.isClientKey(decision.client)) {
      this.rangeBlocks = this.rangeBlocks
        .filter((r) => r.decision.client !== decision.client)
        .concat({ list: new CidrList([decision.client]), decision });
      return;
    }
    (decision.state === 'blocked' ? this.blocked : this.suspicious).set(decision.client, decision);
  }

  /** Drops a decision (a client's or a range's); false if there was none. */
  forget(client: string, state: DecisionState): boolean {
    const map = state === 'blocked' ? this.blocked : this.suspicious;
    let found = map.delete(client);
    if (state === 'blocked') {
      const before = this.rangeBlocks.length;
      this.rangeBlocks = this.rangeBlocks.filter((r) => r.decision.client !== client);
      found = found || this.rangeBlocks.length < before;
    }
    return found;
  }

  /** Drops every decision past its expiry; returns how many. */
  forgetExpired(now: number): number {
    let dropped = 0;
    for (const map of [this.blocked, this.suspicious]) {
      for (const d of [...map.values()]) if (d.expiresAt <= now) (map.delete(d.client), dropped++);
    }
    const before = this.rangeBlocks.length;
    this.rangeBlocks = this.rangeBlocks.filter((r) => r.decision.expiresAt > now);
    return dropped + before - this.rangeBlocks.length;
  }

  /** The client's own enforced block that applies to every route (not a login-only one). */
  enforcedClientBlock(client: string, now: number): Decision | null {
    const d = this.blocked.get(client);
    return d && d.enforced && d.expiresAt > now && !LOGIN_SCOPED_RULES.has(d.rule) ? d : null;
  }

  /** An enforced admin block of a range the client is in. */
  enforcedRangeBlock(client: string, now: number): Decision | null {
    for (const r of this.rangeBlocks) {
      if (r.decision.enforced && r.decision.expiresAt > now && r.list.match(client)) return r.decision;
    }
    return null;
  }

  /** The enforced login-only block (time buffer) for this client, if any. */
  loginBlock(client: string, now: number): Decision | null {
    const d = this.blocked.get(client);
    return d && d.enforced && d.expiresAt > now && LOGIN_SCOPED_RULES.has(d.rule) ? d : null;
  }

  /** Blocked (enforced or observed) by a decision about this very client. */
  isBlocked(client: string, now: number): boolean {
    const b = this.blocked.get(client);
    return Boolean(b && b.expiresAt > now);
  }

  suspicion(client: string, now: number): Decision | null {
    const s = this.suspicious.get(client);
    return s && s.expiresAt > now ? s : null;
  }

  /** The live suspicion of this client by this rule, to extend rather than repeat. */
  standingSuspicion(client: string): Decision | undefined {
    return this.suspicious.get(client);
  }

  blockedClients(): string[] {
    return [...this.blocked.keys()];
  }

  /** Every decision held, expired or not (for a resync). */
  all(): Decision[] {
    return [...this.blocked.values(), ...this.suspicious.values(), ...this.rangeBlocks.map((r) => r.decision)];
  }

  /** Standing decisions, newest first. */
  list(now: number, state?: DecisionState): DecisionView[] {
    const all: Decision[] = [];
    if (state !== 'suspicious') all.push(...this.blocked.values(), ...this.rangeBlocks.map((r) => r.decision));
    if (state !== 'blocked') all.push(...this.suspicious.values());
    return all
      .filter((d) => d.expiresAt > now)
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((d) => toView(d, now));
  }

  lastBlock(client: string): BlockHistory | undefined {
    return this.history.get(client);
  }

  recordBlock(client: string, entry: BlockHistory): void {
    this.history.set(client, entry);
  }

  /** IPv6 client keys look like CIDRs (`2001:db8::/64`) but are exact keys, not ranges. */
  private isClientKey(client: string): boolean {
    return client.includes(':') && client.endsWith(`/${this.ipv6Prefix}`);
  }
}

