import type { ListEntry, ListKind } from '@bouncer/contracts';

/**
 * The allow and deny lists: the ranges from configuration (ALLOWLIST, DENYLIST) plus the
 * entries admins add. Memory only; DecisionService stores and syncs the entries.
 */
export class AccessLists {
  private entries: ListEntry[] = [];

  constructor(
    private readonly configAllow: string[],
    private readonly configDeny: string[],
  ) {}

  /** The ranges the engine's decision book checks: configured ones and admins' entries. */
  ranges(): { allow: string[]; deny: string[] } {
    return {
      allow: [...this.configAllow, ...this.entries.filter((e) => e.kind === 'allow').map((e) => e.cidr)],
      deny: [...this.configDeny, ...this.entries.filter((e) => e.kind === 'deny').map((e) => e.cidr)],
    };
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
  }

  /** Adds an entry, replacing one of the same kind and range. */
  put(entry: ListEntry): void {
    this.entries = this.entries.filter((e) => !(e.kind === entry.kind && e.cidr === entry.cidr)).concat(entry);
  }

  /** Whether an admin's entry (not a configured one) of this kind and range exists. */
  hasEntry(kind: ListKind, cidr: string): boolean {
    return this.entries.some((e) => e.kind === kind && e.cidr === cidr);
  }

  /** Removes an entry; false if there was none. */
  remove(kind: ListKind, cidr: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !(e.kind === kind && e.cidr === cidr));
    if (this.entries.length === before) return false;
    return true;
  }
}
