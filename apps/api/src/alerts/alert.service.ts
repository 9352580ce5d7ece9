import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import { and, eq } from 'drizzle-orm';
import type { SecurityEvent } from '@bouncer/contracts';
import { ALLOWLIST_SKIPPED_EVENT } from '@bouncer/detection';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CLOCK, type Clock } from '../core/clock';
import { REDIS, type RedisHandle } from '../core/redis';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { describeError } from '../db/query-errors';
import { users } from '../db/schema';
import { type Alert, alertBody, signatureHeaders } from './alert-body';
import { IncidentCounter } from './alert-incidents';

/** Deliveries waiting or in flight; beyond this new alerts are dropped (and logged), never queued without bound. */
const QUEUE_LIMIT = 500;
/** Tries per receiver, the first included. */
const ATTEMPTS = 4;
/** A receiver that does not answer within this is a failed try. */
const REQUEST_TIMEOUT_MS = 5_000;

const NAME_CACHE_MS = 60_000;
const NAME_CACHE_LIMIT = 10_000;

/** A rule's decisions that count toward an attack; observe-only blocks too (a rule being tried out still sees the attack). */
const ATTACK_DECISIONS = new Set(['decision.blocked', 'decision.blocked.observed', 'decision.suspicious']);

/** The audit detail of a lift made by allowlisting (DecisionService.addListEntry). */
const ALLOWLIST_LIFT = /^blocked decision allowlisted by /;

interface Delivery {
  url: string;
  alert: Alert;
  attempt: number;
}

/**
 * Alert webhooks (ALERT_WEBHOOKS). Watches the audit log, through which every decision and
 * failed sign-in already passes, and the shared store's state; turns what crosses a threshold
 * into one alert per incident, and posts it to every receiver in the background: a request
 * never waits for a receiver. Failed tries are retried with exponential back-off; a delivery
 * that fails for good is logged and audited (`alert.failed`).
 */
@Injectable()
export class AlertService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AlertService.name);
  private readonly attacks: IncidentCounter;
  private readonly adminAttacks: IncidentCounter;
  /** Per allow-listed client and rule: one alert, then quiet while the would-be blocks keep coming. */
  private readonly skipped: IncidentCounter;
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private dropped = 0;
  private failed = 0;
  private storeLost = false;
  private closed = false;
  /** Usernames known to be admins or not, so failed sign-ins cost one lookup per name and minute. */
  private readonly adminNames = new Map<string, { admin: boolean; until: number }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    private readonly audit: AuditService,
    @Optional() @Inject(REDIS) private readonly redis?: RedisHandle | null,
  ) {
    const a = config.alerts;
    this.attacks = new IncidentCounter(a.attackThreshold, a.windowSeconds * 1000);
    this.adminAttacks = new IncidentCounter(a.adminFailedSignIns, a.windowSeconds * 1000);
    this.skipped = new IncidentCounter(1, a.windowSeconds * 1000);
  }

  get enabled(): boolean {
    return this.config.alerts.webhooks.length > 0;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.audit.onEvent((e) => this.observe(e));
    this.redis?.onChange((up) => this.storeChanged(up));
  }

  onModuleDestroy(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Deliveries waiting or in flight, how many a full queue dropped and how many failed for good (for /metrics). */
  backlog(): { queued: number; dropped: number; failed: number } {
    return { queued: this.inFlight, dropped: this.dropped, failed: this.failed };
  }

  private observe(e: SecurityEvent): void {
    const now = this.clock.now();
    if (ATTACK_DECISIONS.has(e.type) && e.actor?.startsWith('rule:')) {
      const rule = e.actor.slice('rule:'.length);
      if (this.attacks.hit(rule, now))
        this.fire({
          kind: 'attack.started',
          summary: `rule ${rule} made ${this.config.alerts.attackThreshold} or more decisions within ${this.config.alerts.windowSeconds} s`,
          incident: `attack:${rule}:${now}`,
          details: {
            rule,
            threshold: this.config.alerts.attackThreshold,
            windowSeconds: this.config.alerts.windowSeconds,
            lastClient: e.client,
          },
        });
    } else if (e.type === 'decision.unblocked' && e.client && ALLOWLIST_LIFT.test(e.detail)) {
      // The engine skips every rule for an allowlisted client, so the one trace of a decision
      // set aside for the allow list is this lift: a block ended because its client was allowlisted.
      this.fire({
        kind: 'allowlist.override',
        summary: `the block on ${e.client} was lifted because the client is on the allowlist`,
        incident: `allowlist:${e.client}:${now}`,
        details: { client: e.client, by: e.actor },
      });
    } else if (e.type === ALLOWLIST_SKIPPED_EVENT && e.client && e.actor?.startsWith('rule:')) {
      // The engine reports a would-be block of an allow-listed client once per block it would
      // have made; an incident here spans a whole run of them.
      const rule = e.actor.slice('rule:'.length);
      if (this.skipped.hit(`${e.client}|${rule}`, now))
        this.fire({
          kind: 'allowlist.skipped',
          summary: `rule ${rule} would have blocked ${e.client}, but the client is on the allowlist: not enforced`,
          incident: `allowlist-skipped:${e.client}:${rule}:${now}`,
          details: { client: e.client, rule, detail: e.detail },
        });
    } else if (e.type === 'login.failed' && e.actor) {
      void this.failedSignIn(e.actor, e.client, now);
    }
  }

  private async failedSignIn(username: string, client: string | null, now: number): Promise<void> {
    if (!(await this.isAdmin(username))) return;
    if (this.adminAttacks.hit(username, now))
      this.fire({
        kind: 'admin.under-attack',
        summary: `${this.config.alerts.adminFailedSignIns} or more failed sign-ins at admin account ${username} within ${this.config.alerts.windowSeconds} s`,
        incident: `admin:${username}:${now}`,
        details: { account: username, lastClient: client, threshold: this.config.alerts.adminFailedSignIns },
      });
  }

  private async isAdmin(username: string): Promise<boolean> {
    const known = this.adminNames.get(username);
    if (known && known.until > this.clock.now()) return known.admin;
    try {
      const rows = await this.database.db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.username, username), eq(users.role, 'admin')))
        .limit(1);
      const admin = rows.length > 0;
      // Remembered for a minute (a new admin is noticed soon), and at most NAME_CACHE_LIMIT names:
      // an attacker spraying random names must cost neither a query per attempt nor unbounded memory.
      this.adminNames.set(username, { admin, until: this.clock.now() + NAME_CACHE_MS });
      if (this.adminNames.size > NAME_CACHE_LIMIT) this.adminNames.delete(this.adminNames.keys().next().value as string);
      return admin;
    } catch {
      return false;
    }
  }

  private storeChanged(up: boolean): void {
    // One "lost" per outage and one "regained" after it, however often the connection flaps in between.
    if (!up && !this.storeLost) {
      this.storeLost = true;
      this.fire({
        kind: 'store.lost',
        summary: 'the shared store (Redis) is unreachable: this instance counts and blocks on its own until it returns',
        incident: `store:${this.clock.now()}`,
        details: {},
      });
    } else if (up && this.storeLost) {
      this.storeLost = false;
      this.fire({
        kind: 'store.regained',
        summary: 'the shared store (Redis) is reachable again',
        incident: `store:${this.clock.now()}`,
        details: {},
      });
    }
  }

  private fire(partial: Omit<Alert, 'at'>): void {
    const alert: Alert = { ...partial, at: new Date(this.clock.now()).toISOString() };
    this.logger.warn(`alert ${alert.kind}: ${alert.summary}`);
    for (const url of this.config.alerts.webhooks) {
      if (this.inFlight >= QUEUE_LIMIT) {
        this.dropped++;
        this.logger.error(`alert ${alert.kind} to ${redact(url)} dropped: ${QUEUE_LIMIT} deliveries already waiting`);
        continue;
      }
      this.inFlight++;
      this.later(0, { url, alert, attempt: 1 });
    }
  }

  private later(ms: number, d: Delivery): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.deliver(d);
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private async deliver(d: Delivery): Promise<void> {
    const body = alertBody(d.alert, this.config.alerts.format);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'bouncer-alerts' };
    if (this.config.alerts.secret) Object.assign(headers, signatureHeaders(body, this.config.alerts.secret, Math.floor(Date.now() / 1000)));
    let why: string;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (res.ok) {
        this.inFlight--;
        return;
      }
      why = `answered ${res.status}`;
    } catch (err) {
      why = describeError(err);
    }
    if (d.attempt < ATTEMPTS && !this.closed) {
      this.later(this.config.alerts.retryBaseMs * 2 ** (d.attempt - 1), { ...d, attempt: d.attempt + 1 });
      return;
    }
    this.inFlight--;
    this.failed++;
    const detail = `alert ${d.alert.kind} not delivered to ${redact(d.url)} after ${d.attempt} tries: ${why}`;
    this.logger.error(detail);
    if (!this.closed)
      await this.audit.record({ type: 'alert.failed', actor: 'system', detail, data: { kind: d.alert.kind, incident: d.alert.incident } });
  }
}

/** A receiver's address as logged: scheme, host and path only (a query string may hold a token, as Slack's do in the path). */
function redact(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.length > 1 ? '/…' : ''}`;
}
