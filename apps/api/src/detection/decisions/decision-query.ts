import type { DecisionView } from '@bouncer/contracts';
import { parseRange } from '@bouncer/detection';

export type DecisionSort = 'created_at' | 'expires_at' | 'client' | 'rule';
export const DECISION_SORTS: readonly DecisionSort[] = ['created_at', 'expires_at', 'client', 'rule'];

export interface DecisionQuery {
  /** A canonical address or CIDR: decisions whose client lies in it, or whose range holds it. */
  within?: string;
  state?: 'blocked' | 'suspicious';
  rule?: string;
  /** `admin:alice`, or a prefix ending in `:` (`admin:`, `rule:`). */
  decidedBy?: string;
  id?: string;
  sort?: DecisionSort;
  order?: 'asc' | 'desc';
  /** One row per client: a blocked client's suspicion is folded into its block. */
  onePerClient?: boolean;
  /** Time left, in seconds: at most `expiresWithin`, more than `expiresBeyond`. */
  expiresWithin?: number;
  expiresBeyond?: number;
}

/** True when two addresses or ranges share at least one address. */
export function rangesOverlap(a: string, b: string): boolean {
  const [na, ba] = parseRange(a);
  const [nb, bb] = parseRange(b);
  if (na.kind() !== nb.kind()) return false;
  // The wider range must hold the narrower one's network address.
  return ba <= bb ? nb.match(na, ba) : na.match(nb, bb);
}

/**
 * Filters, folds and sorts the standing decisions for the admin list. Pure: paging is the
 * caller's, after this, so `total` counts what matches.
 */
export function queryDecisions(all: readonly DecisionView[], q: DecisionQuery): DecisionView[] {
  const by = q.decidedBy;
  let rows = all.filter(
    (d) =>
      (!q.id || d.id === q.id) &&
      (!q.rule || d.rule === q.rule) &&
      (!by || (by.endsWith(':') ? d.decided_by.startsWith(by) : d.decided_by === by)) &&
      (!q.within || rangesOverlap(d.client, q.within)) &&
      (q.expiresWithin === undefined || d.remaining_seconds <= q.expiresWithin) &&
      (q.expiresBeyond === undefined || d.remaining_seconds > q.expiresBeyond),
  );
  if (q.onePerClient) rows = foldSuspicions(rows);
  if (q.state) rows = rows.filter((d) => d.state === q.state);
  const sort = q.sort ?? 'created_at';
  // Newest first by default, as the list has always been; text sorts default to A-Z.
  const order = q.order ?? (sort === 'client' || sort === 'rule' ? 'asc' : 'desc');
  const sign = order === 'asc' ? 1 : -1;
  return [...rows].sort((x, y) => sign * (compare(x, y, sort) || x.id.localeCompare(y.id)));
}

/** A client that is blocked appears once: its standing suspicion rides along in `suspicion`. */
function foldSuspicions(rows: DecisionView[]): DecisionView[] {
  // The newest blocked decision of each client stands for it (rows are newest first).
  const blocked = new Map<string, DecisionView>();
  for (const d of rows) if (d.state === 'blocked' && !blocked.has(d.client)) blocked.set(d.client, d);
  const out: DecisionView[] = [];
  for (const d of rows) {
    if (d.state === 'suspicious' && blocked.has(d.client)) {
      const b = blocked.get(d.client)!;
      blocked.set(d.client, { ...b, suspicion: { id: d.id, reason: d.reason, rule: d.rule, remaining_seconds: d.remaining_seconds } });
    }
  }
  // A client can stand blocked twice (a sign-in buffer and a block on every route): still one row.
  const shown = new Set<string>();
  for (const d of rows) {
    if (d.state === 'blocked') {
      if (!shown.has(d.client)) out.push(blocked.get(d.client)!);
      shown.add(d.client);
    } else if (!blocked.has(d.client)) out.push(d);
  }
  return out;
}

function compare(x: DecisionView, y: DecisionView, sort: DecisionSort): number {
  switch (sort) {
    case 'client':
      return compareClients(x.client, y.client);
    case 'rule':
      return x.rule.localeCompare(y.rule);
    default:
      return x[sort].localeCompare(y[sort]);
  }
}

/** Numeric order of addresses (10.0.0.9 before 10.0.0.10); IPv4 before IPv6. */
function compareClients(a: string, b: string): number {
  const [na, ba] = parseRange(a);
  const [nb, bb] = parseRange(b);
  if (na.kind() !== nb.kind()) return na.kind() === 'ipv4' ? -1 : 1;
  const xa = na.toByteArray();
  const xb = nb.toByteArray();
  for (let i = 0; i < xa.length; i++) if (xa[i] !== xb[i]) return xa[i]! - xb[i]!;
  return ba - bb;
}
