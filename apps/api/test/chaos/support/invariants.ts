import { http } from '@bouncer/testing';
import type { Ledger, Target } from './load';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Instances learn each other's decisions through Redis, or from the database while Redis is
 * away: a check waits up to `settleMs` (real time: other processes) for the state to converge,
 * then reports what is still wrong.
 */
async function settled(settleMs: number, probe: () => Promise<string | null>): Promise<string | null> {
  const until = Date.now() + settleMs;
  for (;;) {
    const problem = await probe().catch((err: Error) => `request failed: ${err.message}`);
    if (!problem || Date.now() > until) return problem;
    await sleep(200);
  }
}

/**
 * The promises checked after every fault, on every instance given:
 * - no decision lost: a block acknowledged (201) and not lifted is enforced (403);
 * - no lifted block back: a lift acknowledged (204) stays lifted;
 * - durable or not at all: a block refused with 503 had no effect;
 * - no revoked token accepted again: a logged-out access token is 401, its refresh token refused;
 * - every admin action that took effect has its audit record.
 * Returns one line per broken promise (empty when all hold).
 */
export async function brokenPromises(targets: Target[], ledger: Ledger, adminToken: string, settleMs = 5000): Promise<string[]> {
  const live = targets.filter((t) => t.up);
  const gate = (t: Target, client: string) => http(t.url, '/.well-known/jwks.json', { from: client });
  const checks: (() => Promise<string | null>)[] = [];
  for (const t of live) {
    for (const client of [...ledger.blocked])
      checks.push(async () => {
        const p = await settled(settleMs, async () => {
          const s = (await gate(t, client)).status;
          return s === 403 ? null : `${t.name}: block on ${client} acknowledged (201) but not enforced (${s}): decision lost`;
        });
        // The load may have lifted it meanwhile: only a block still in force counts.
        return p && ledger.blocked.has(client) ? p : null;
      });
    for (const client of [...ledger.lifted])
      checks.push(() =>
        settled(settleMs, async () =>
          (await gate(t, client)).status === 403 ? `${t.name}: block on ${client} was lifted (204) but is back` : null,
        ),
      );
    for (const client of [...ledger.refusedBlocks]) {
      if (ledger.blocked.has(client) || ledger.lifted.has(client)) continue;
      checks.push(() =>
        settled(settleMs, async () =>
          (await gate(t, client)).status === 403 ? `${t.name}: block on ${client} was refused (503) but is enforced (D4)` : null,
        ),
      );
    }
    for (const s of [...ledger.loggedOut])
      checks.push(async () => {
        const p = await settled(settleMs, async () =>
          (await http(t.url, '/validate-token', { token: s.access, from: s.from })).status === 200
            ? `${t.name}: access token logged out from ${s.from} is accepted again`
            : null,
        );
        if (p) return p;
        const r = await http(t.url, '/token', { form: { grant_type: 'refresh_token', refresh_token: s.refresh }, from: s.from });
        return r.status === 200 ? `${t.name}: refresh token of a session logged out from ${s.from} gave a new session` : null;
      });
  }
  const problems = (await pool(16, checks)).filter((p): p is string => p !== null);
  const auditFrom = live[0];
  const pending = ledger.unaudited;
  ledger.unaudited = [];
  if (auditFrom) {
    const events = await http(auditFrom.url, '/admin/events?limit=1000', { token: adminToken, from: '127.0.0.1' });
    const list = (events.json ?? []) as { type: string; client: string | null }[];
    for (const { type, client } of pending)
      if (!list.some((e) => e.type === type && e.client === client))
        problems.push(`audit: the acknowledged ${type} of ${client} has no record`);
  }
  // A broken promise stays broken: each is reported by the fault that broke it, not again by every later one.
  const fresh = problems.filter((p) => !ledger.reported.has(p));
  for (const p of fresh) ledger.reported.add(p);
  return fresh;
}

/** Runs the checks `width` at a time (the checks are many; one by one they would take minutes). */
async function pool<T>(width: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!().catch((err: Error) => `check failed: ${err.message}` as T);
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return results;
}
