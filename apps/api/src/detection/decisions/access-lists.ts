import type { ListEntry, ListKind } from '@bouncer/contracts';
import { CidrList } from '../client-identity';
import type { Decision } from './decision';

/**
 * The allow and deny lists: the ranges from configuration (ALLOWLIST, DENYLIST) plus the
 * entries admins add. Memory only; DecisionService stores and syncs the entries.
 */
export class AccessLists {
  private entries: ListEntry[] = [];
  private allow = new CidrList([]);
  private deny = new CidrList([]);

  constructor(
    private readonly configAllow: string[],
    private readonly configDeny: string[],
  ) {
    this.rebuild();
  }

  isAllowlisted(client: string): boolean {
    return this.allow.size > 0 && this.allow.match(client) !== null;
  }

  /** A denylisted (and not allowlisted) client gets a synthesised block, renewed on every request. */
  denyDecision(client: string, now: number): Decision | null {
    if (this.deny.size === 0) return null;
    const entry = this.deny.match(client);
    if (!entry || this.isAllowlisted(client)) return null;
    return { client, state: 'blocked', rule: 'denylist', reason: `${entry} is on the denylist`, createdAt: 0, expiresAt: now + 3600_000, decidedBy: 'list:deny', enforced: true };
  }

  /** Every entry, configured ones first. */
  all(): ListEntry[] {
    return [
      ...this.configAllow.map((cidr) => ({ kind: 'allow' as const, cidr, note: 'from ALLOWLIST', created_at: '', created_by: 'config' })),
      ...this.configDeny.map((cidr) => ({ kind: 'deny' as const, cidr, note: 'from DENYLIST', created_at: '', created_by: 'config' })),
      ...this.entries,
    ];
  }

  /** Replaces the admin entries (loaded from the database). */
  replace(entries: ListEntry[]): void {
    this.entries = entries;
    this.rebuild();
  }

  /** Adds an entry, replacing one of the same kind and range. */
  put(entry: ListEntry): void {
    this.entries = this.entries.filter((e) => !(e.kind === entry.kind && e.cidr === entry.cidr)).concat(entry);
    this.rebuild();
  }

  /** Removes an entry; false if there was none. */
  remove(kind: ListKind, cidr: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !(e.kind === kind && e.cidr === cidr));
    if (this.entries.length === before) return false;
    this.rebuild();
    return true;
  }

  private rebuild(): void {
    this.allow = new CidrList([...this.configAllow, ...this.entries.filter((e) => e.kind === 'allow').map((e) => e.cidr)]);
    this.deny = new CidrList([...this.configDeny, ...this.entries.filter((e) => e.kind === 'deny').map((e) => e.cidr)]);
  }
}
