import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../common/clock';
import { describeWait, ProblemException } from '../common/problem.exception';
import { DecisionService } from './decision.service';
import { DETECTION_OPTIONS } from './detection.tokens';
import type { DetectionOptions } from './detection-options';

interface ClientLogins {
  failures: number;
  lastFailureAt: number;
  /** Attempts checked but not yet answered: reserved so simultaneous requests cannot overshoot. */
  pending: number;
  pendingAt: number;
  successWindowStart: number;
  successes: number;
}

interface AccountLogins {
  windowStart: number;
  failures: number;
  nextAllowedAt: number;
  announced: boolean;
}

const HOUR_MS = 3600_000;

/**
 * The sign-in rules, checked before any password hashing so a refused attempt costs nothing:
 *  2. failed logins per client: the Nth failure starts a time buffer that grows with each one;
 *  3. failed logins per account from any number of clients: growing delays, so a botnet gets
 *     a few dozen checked guesses an hour at most, never a lockout of the owner (a client
 *     that signed in as that user before is let through);
 *  4. successful logins per client per minute: suspicious at the 4th, refused from the 5th.
 */
@Injectable()
export class LoginDefenseService {
  private readonly clients: LRUCache<string, ClientLogins>;
  private readonly accounts: LRUCache<string, AccountLogins>;

  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly decisions: DecisionService,
    private readonly audit: AuditService,
  ) {
    this.clients = new LRUCache({ max: options.maxTrackedClients });
    this.accounts = new LRUCache({ max: options.maxTrackedClients });
    // An admin who lifts a client's block forgives its counts too.
    decisions.onLift((client) => this.clients.delete(client));
  }

  private enforced(rule: 'failed-logins' | 'account-failed-logins' | 'successful-logins'): boolean {
    return this.decisions.isEnforced(rule);
  }

  private client(key: string, now: number): ClientLogins {
    let c = this.clients.get(key);
    if (!c) {
      c = { failures: 0, lastFailureAt: 0, pending: 0, pendingAt: 0, successWindowStart: 0, successes: 0 };
      this.clients.set(key, c);
    }
    if (c.failures > 0 && now - c.lastFailureAt > this.options.failedLoginMemorySeconds * 1000) c.failures = 0;
    // A reservation whose answer never came (a crashed request) does not hold forever.
    if (c.pending > 0 && now - c.pendingAt > 30_000) c.pending = 0;
    return c;
  }

  private account(username: string, now: number): AccountLogins {
    let a = this.accounts.get(username);
    if (!a || now - a.windowStart >= HOUR_MS) {
      a = { windowStart: now, failures: 0, nextAllowedAt: 0, announced: false };
      this.accounts.set(username, a);
    }
    return a;
  }

  /** Throws 429 (or 403) when this attempt may not be checked now; otherwise reserves it. */
  async check(client: string, username: string, opts: { trustedDevice: boolean }): Promise<void> {
    const now = this.clock.now();
    const block = this.decisions.enforcedBlock(client, now);
    if (block) {
      const wait = Math.ceil((block.expiresAt - now) / 1000);
      throw new ProblemException(403, 'Forbidden', `This client is blocked: ${block.reason}. Try again in ${describeWait(wait)}.`, {
        type: 'urn:bouncer:problem:client-blocked',
        retryAfter: wait,
      });
    }
    const buffer = this.decisions.loginBlock(client, now);
    if (buffer && !this.decisions.isAllowlisted(client)) {
      const wait = Math.ceil((buffer.expiresAt - now) / 1000);
      const what = buffer.rule === 'successful-logins' ? 'Too many sign-ins from this client' : 'Too many failed sign-ins';
      throw this.tooMany(`${what}; try again in ${describeWait(wait)}.`, wait, buffer.rule);
    }
    const c = this.client(client, now);
    const allowlisted = this.decisions.isAllowlisted(client);
    // Attempts in flight may not overshoot the threshold: with f failures so far, at most
    // threshold - f attempts are checked at once (and one at a time once it is reached).
    const inFlightLimit = Math.max(1, this.options.failedLoginThreshold - c.failures);
    if (!allowlisted && this.enforced('failed-logins') && c.pending >= inFlightLimit) {
      // Attempts already in flight would reach the threshold: this one waits for them.
      throw this.tooMany('Too many sign-in attempts at once from this client; try again in 1 second.', 1, 'failed-logins');
    }
    if (!opts.trustedDevice && this.enforced('account-failed-logins')) {
      const a = this.account(username, now);
      if (a.failures >= this.options.accountFreeFailures) {
        if (now < a.nextAllowedAt) {
          const wait = Math.ceil((a.nextAllowedAt - now) / 1000);
          throw this.tooMany(`This account is protected after many failed sign-ins; try again in ${describeWait(wait)}.`, wait, 'account-failed-logins');
        }
        // Reserve the slot: of simultaneous attempts only one is checked per delay.
        a.nextAllowedAt = now + this.accountDelayMs(a.failures);
      }
    }
    c.pending++;
    c.pendingAt = now;
  }

  async recordFailure(client: string, username: string): Promise<void> {
    const now = this.clock.now();
    const c = this.client(client, now);
    c.pending = Math.max(0, c.pending - 1);
    c.failures++;
    c.lastFailureAt = now;
    const threshold = this.options.failedLoginThreshold;
    if (this.decisions.isAllowlisted(client)) {
      // Allowlisted clients are never held back by the per-client rules.
    } else if (c.failures >= threshold) {
      const seconds = this.options.failedLoginBufferSeconds * (c.failures - (threshold - 1));
      const reason = `${c.failures} failed logins`;
      await this.decisions.block({ client, rule: 'failed-logins', reason, seconds });
      await this.decisions.suspect({ client, rule: 'failed-logins', reason, seconds: Math.max(seconds, this.options.suspicionSeconds) });
    } else if (c.failures >= Math.ceil(threshold * this.options.suspiciousRatio)) {
      await this.decisions.suspect({ client, rule: 'failed-logins', reason: `${c.failures} failed logins (buffer from ${threshold})` });
    }

    const a = this.account(username, now);
    a.failures++;
    if (a.failures >= this.options.accountFreeFailures) {
      a.nextAllowedAt = Math.max(a.nextAllowedAt, now + this.accountDelayMs(a.failures));
      if (!a.announced) {
        a.announced = true;
        await this.audit.record({
          type: 'account.delayed',
          client,
          actor: username,
          detail: `${a.failures} failed sign-ins for ${username} within an hour; further attempts are delayed`,
        });
      }
    }
  }

  /** Counts a good password; throws 429 when this client has signed in too often this minute. */
  async recordSuccess(client: string, username: string): Promise<void> {
    const now = this.clock.now();
    const c = this.client(client, now);
    c.pending = Math.max(0, c.pending - 1);
    const windowMs = this.options.successWindowSeconds * 1000;
    if (now - c.successWindowStart >= windowMs) {
      c.successWindowStart = now;
      c.successes = 0;
    }
    c.successes++;
    const n = c.successes;
    const window = this.options.successWindowSeconds;
    if (this.decisions.isAllowlisted(client)) {
      // Never held back by the per-client rules.
    } else if (n >= this.options.successBlock) {
      const seconds = this.options.successBlockStepSeconds * (n - (this.options.successBlock - 1));
      const reason = `${n} successful logins in ${window} s`;
      const d = await this.decisions.block({ client, rule: 'successful-logins', reason, seconds });
      await this.decisions.suspect({ client, rule: 'successful-logins', reason, seconds: Math.max(seconds, this.options.suspicionSeconds) });
      if (d.enforced) throw this.tooMany(`Too many sign-ins from this client; try again in ${describeWait(seconds)}.`, seconds, 'successful-logins');
    } else if (n >= this.options.successSuspicious) {
      await this.decisions.suspect({ client, rule: 'successful-logins', reason: `${n} successful logins in ${window} s` });
    }
    // A good password resets the client's failures (the original's rule).
    c.failures = 0;
  }

  /** The password check itself failed unexpectedly: release the reservation. */
  release(client: string): void {
    const c = this.clients.get(client);
    if (c) c.pending = Math.max(0, c.pending - 1);
  }

  /** Doubling delays after the free failures: 1 s, 2 s, 4 s … up to the cap. */
  private accountDelayMs(failures: number): number {
    const over = Math.max(0, failures - this.options.accountFreeFailures);
    return Math.min(2 ** over, this.options.accountMaxDelaySeconds) * 1000;
  }

  private tooMany(detail: string, retryAfter: number, policy: string): ProblemException {
    return new ProblemException(429, 'Too Many Requests', detail, {
      type: 'urn:bouncer:problem:login-throttled',
      retryAfter,
      rateLimit: { policy, limit: this.options.failedLoginThreshold, remaining: 0, resetSeconds: retryAfter, windowSeconds: this.options.failedLoginBufferSeconds },
    });
  }
}
