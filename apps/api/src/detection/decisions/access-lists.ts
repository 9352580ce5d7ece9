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

  /** The ranges the engine's decision book checks: configured ones and admins' entries not expired at `now`. */
  ranges(now: number): { allow: string[]; deny: string[] } {
    const live = this.entries.filter((e) => !isExpired(e, now));
    return {
      allow: [...this.configAllow, ...live.filter((e) => e.kind === 'allow').map((e) => e.cidr)],
      deny: [...this.configDeny, ...live.filter((e) => e.kind === 'deny').map((e) => e.cidr)],
    };
  }

  /** Drops the admin entries expired at `now` (the healing job); returns them. */
  dropExpired(now: number): ListEntry[] {
    const gone = this.entries.filter((e) => isExpired(e, now));
    if (gone.length > 0) this.entries = this.entries.filter((e) => !isExpired(e, now));
    return gone;
  }

  /** Every entry, configured ones first. */
  all(): ListEntry[] {
    return [
      ...this.configAllow.map((cidr) => ({
        kind: 'allow' as const,
        cidr,
        note: 'from ALLOWLIST',
        created_at: '',
        created_by: 'config',
        expires_at: null,
      })),
      ...this.configDeny.map((cidr) => ({
        kind: 'deny' as const,
        cidr,
        note: 'from DENYLIST',
        created_at: '',
        created_by: 'config',
        expires_at: null,
      })),
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

function isExpired(e: ListEntry, now: number): boolean {
  return e.expires_at !== null && Date.parse(e.expires_at) <= now;
}
