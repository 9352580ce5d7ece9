import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { RuleId } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../common/clock';
import { describeWait, ProblemException } from '../common/problem.exception';
import { DecisionService } from './decision.service';
import { DETECTION_OPTIONS } from './detection.tokens';
import type { DetectionOptions } from './detection-options';
import { accountDelaySeconds, loginBufferSeconds, successBlockSeconds, suspiciousCount } from './engine/rules';
import { COUNTER_STORE, type CounterStore } from './store/counter-store.interface';

/** Attempts checked but not yet answered, per client: so simultaneous guesses cannot overshoot. */
interface InFlight {
  n: number;
  at: number;
}

const IN_FLIGHT_STALE_MS = 30_000;

/**
 * The sign-in rules, checked before any password hashing so a refused attempt costs nothing:
 *  2. failed logins per client: the Nth failure starts a time buffer that grows with each one;
 *  3. failed logins per account, from any number of clients: after a few free failures each
 *     further checked guess waits 1 s, 2 s, 4 s … up to a cap, so a botnet gets a few dozen
 *     checked guesses an hour at most; a trusted device of the owner is never delayed;
 *  4. successful logins per client: suspicious at the 4th in 60 s, refused from the 5th.
 */
@Injectable()
export class LoginDefenseService {
  private readonly inFlight: LRUCache<string, InFlight>;

  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(COUNTER_STORE) private readonly store: CounterStore,
    private readonly decisions: DecisionService,
    private readonly audit: AuditService,
  ) {
    this.inFlight = new LRUCache({ max: options.maxTrackedClients });
    // Lifting a client's block forgives its counts too.
    decisions.onLift((client, state) => {
      if (state !== 'blocked') return;
      void this.store.reset(`failed-logins:${client}`);
      void this.store.reset(`successful-logins:${client}`);
    });
  }

  /** Throws 403 (blocked) or 429 (time buffer, account delay) if this attempt may not be checked now. */
  async check(client: string, username: string, opts: { trustedDevice: boolean }): Promise<void> {
    if (this.options.mode === 'off') return;
    const now = this.clock.now();
    const block = this.decisions.enforcedBlock(client, now);
    if (block) {
      const wait = Math.max(1, Math.ceil((block.expiresAt - now) / 1000));
      throw new ProblemException(403, 'Client blocked', `This client is blocked: ${block.reason}. Try again in ${describeWait(wait)}.`, {
        type: 'urn:bouncer:problem:client-blocked',
        retryAfter: wait,
      });
    }
    const buffer = this.decisions.loginBlock(client, now);
    if (buffer) {
      const wait = Math.max(1, Math.ceil((buffer.expiresAt - now) / 1000));
      const what = buffer.rule === 'successful-logins' ? 'Too many sign-ins from this client' : 'Too many failed logins';
      throw this.tooMany(`${what}; try again in ${secondsText(wait)}.`, wait, buffer.rule);
    }
    const pending = this.pending(client, now);
    if (this.decisions.isEnforced('failed-logins') && pending.n > 0) {
      const failures = (await this.store.get(`failed-logins:${client}`, now))?.count ?? 0;
      if (failures + pending.n >= this.options.failedLoginThreshold) {
        // Attempts already under way would reach the threshold: this one waits for their answers.
        throw this.tooMany(`Too many failed logins; try again in ${secondsText(1)}.`, 1, 'failed-logins');
      }
    }
    if (!opts.trustedDevice && this.decisions.isEnforced('account-failed-logins')) {
      const account = await this.store.get(`account:${username}`, now);
      const failures = account?.count ?? 0;
      const delay = accountDelaySeconds(failures, this.options.accountFreeFailures, this.options.accountMaxDelaySeconds);
      if (delay > 0) {
        // One checked guess per delay: the first to take the slot goes, the rest wait it out.
        const slot = await this.store.hit(`account-slot:${username}`, delay * 1000, now);
        if (slot.count > 1) {
          const wait = Math.max(1, Math.ceil((slot.resetAt - now) / 1000));
          throw this.tooMany(`Too many failed logins for this account; try again in ${secondsText(wait)}.`, wait, 'account-failed-logins');
        }
      }
    }
    pending.n++;
    pending.at = now;
  }

  async recordFailure(client: string, username: string): Promise<void> {
    if (this.options.mode === 'off') return;
    const now = this.clock.now();
    this.release(client);
    const o = this.options;
    const failures = (await this.store.hit(`failed-logins:${client}`, o.failedLoginWindowSeconds * 1000, now)).count;
    const seconds = loginBufferSeconds(failures, o.failedLoginThreshold, o.failedLoginBufferSeconds);
    if (seconds > 0) {
      const reason = `${failures} failed logins in ${o.failedLoginWindowSeconds} s (buffer from the ${ordinal(o.failedLoginThreshold)})`;
      this.decisions.block({ client, rule: 'failed-logins', reason, seconds });
      this.decisions.suspect({ client, rule: 'failed-logins', reason, seconds: Math.max(seconds, o.suspicionSeconds) });
    } else if (failures >= suspiciousCount(o.failedLoginThreshold, o.suspiciousRatio)) {
      this.decisions.suspect({ client, rule: 'failed-logins', reason: `${failures} failed logins in ${o.failedLoginWindowSeconds} s (buffer from the ${ordinal(o.failedLoginThreshold)})` });
    }

    const account = await this.store.hit(`account:${username}`, o.accountWindowSeconds * 1000, now);
    if (account.count === o.accountFreeFailures) {
      void this.audit.record({
        type: 'account.delayed',
        client,
        actor: null,
        detail: `${account.count} failed logins for account ${username} in ${o.accountWindowSeconds} s; further guesses are delayed (trusted devices are not)`,
      });
    }
  }

  /** Counts a correct password; throws 429 when this client has signed in too often in the window. */
  async recordSuccess(client: string, username: string): Promise<void> {
    if (this.options.mode === 'off') return;
    const now = this.clock.now();
    this.release(client);
    const o = this.options;
    const count = (await this.store.hit(`successful-logins:${client}`, o.successWindowSeconds * 1000, now)).count;
    const reason = `${count} successful logins in ${o.successWindowSeconds} s (last as ${username})`;
    const seconds = successBlockSeconds(count, o.successLimit, o.successBlockStepSeconds);
    if (seconds > 0) {
      const d = this.decisions.block({ client, rule: 'successful-logins', reason, seconds });
      this.decisions.suspect({ client, rule: 'successful-logins', reason, seconds: Math.max(seconds, o.suspicionSeconds) });
      if (d.enforced) throw this.tooMany(`Too many successful logins from this client; try again in ${secondsText(seconds)}.`, seconds, 'successful-logins');
    } else if (count >= o.successSuspicious) {
      this.decisions.suspect({ client, rule: 'successful-logins', reason });
    }
    // An accepted sign-in resets the client's failures (the original's rule).
    await this.store.reset(`failed-logins:${client}`);
  }

  /** The password check failed for another reason: frees the reservation `check` made. */
  release(client: string): void {
    const p = this.inFlight.get(client);
    if (p) p.n = Math.max(0, p.n - 1);
  }

  /** Drops stale reservations (the healing job). */
  prune(now: number): number {
    let n = 0;
    for (const [k, p] of this.inFlight.entries()) {
      if (p.n === 0 || now - p.at > IN_FLIGHT_STALE_MS) {
        this.inFlight.delete(k);
        n++;
      }
    }
    return n;
  }

  private pending(client: string, now: number): InFlight {
    let p = this.inFlight.get(client);
    if (!p) {
      p = { n: 0, at: now };
      this.inFlight.set(client, p);
    } else if (now - p.at > IN_FLIGHT_STALE_MS) {
      p.n = 0; // an answer that never came (a crashed request) does not hold forever
    }
    return p;
  }

  private tooMany(detail: string, retryAfter: number, rule: RuleId): ProblemException {
    const o = this.options;
    const [limit, window] =
      rule === 'successful-logins'
        ? [o.successLimit - 1, o.successWindowSeconds]
        : rule === 'account-failed-logins'
          ? [o.accountFreeFailures, o.accountWindowSeconds]
          : [o.failedLoginThreshold - 1, o.failedLoginWindowSeconds];
    return new ProblemException(429, 'Too Many Requests', detail, {
      type: 'urn:bouncer:problem:login-throttled',
      retryAfter,
      rateLimit: { policy: rule, limit, remaining: 0, resetSeconds: retryAfter, windowSeconds: window },
    });
  }
}

/** "1 second", "120 seconds": the original's message names the seconds. */
function secondsText(n: number): string {
  return `${n} second${n === 1 ? '' : 's'}`;
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}
