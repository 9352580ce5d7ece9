import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../common/clock';
import { describeWait, ProblemException } from '../common/problem.exception';
import { COUNTER_STORE, type CounterStore } from './counter-store';
import { DecisionService } from './decision.service';
import { DETECTION_OPTIONS } from './detection.tokens';
import type { DetectionOptions } from './detection-options';

const HOUR_MS = 3600_000;
/** A reservation whose answer never came (a crashed request) is forgotten after this. */
const PENDING_WINDOW_MS = 30_000;

/**
 * The sign-in rules, checked before any password hashing so a refused attempt costs nothing:
 *  2. failed logins per client: the Nth failure starts a time buffer that grows with each one;
 *  3. failed logins per account from any number of clients: doubling delays, so a botnet gets
 *     a few dozen checked guesses an hour at most, without locking out the owner (a client that
 *     signed in as that user before is let through);
 *  4. successful logins per client per minute: suspicious at the 4th, refused from the 5th.
 *
 * All counts live in the CounterStore (memory, or Redis shared by every instance), and every
 * step is one atomic add-and-read, so attempts arriving at the same instant, on the same or on
 * different instances, are counted exactly: an attempt first reserves a slot (`pending`), and
 * failures + pending never exceed the threshold.
 */
@Injectable()
export class LoginDefenseService {
  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(COUNTER_STORE) private readonly store: CounterStore,
    private readonly decisions: DecisionService,
    private readonly audit: AuditService,
  ) {
    // An admin who lifts a client's block forgives its counts too.
    decisions.onLift((client) => {
      void this.store.reset(`lf:${client}`);
      void this.store.reset(`ls:${client}`);
    });
  }

  /** Throws 429 when this attempt may not be checked now; otherwise reserves it. */
  async check(client: string, username: string, opts: { trustedDevice: boolean }): Promise<void> {
    // A client blocked on every route never gets here: the gate refused it before the body was read.
    const now = this.clock.now();
    const allowlisted = this.decisions.isAllowlisted(client);
    const buffer = this.decisions.loginBlock(client, now);
    if (buffer && !allowlisted) {
      const wait = Math.ceil((buffer.expiresAt - now) / 1000);
      const what = buffer.rule === 'successful-logins' ? 'Too many sign-ins from this client' : 'Too many failed sign-ins';
      throw this.tooMany(`${what}; try again in ${describeWait(wait)}.`, wait, buffer.rule);
    }

    const threshold = this.options.failedLoginThreshold;
    if (!allowlisted && this.decisions.isEnforced('failed-logins')) {
      const pending = (await this.store.hit(`lp:${client}`, PENDING_WINDOW_MS, now)).count;
      const failures = (await this.store.get(`lf:${client}`, now))?.count ?? 0;
      // Checked-and-failed plus in flight may not pass the threshold (one at a time beyond it).
      if (failures + pending > Math.max(threshold, failures + 1)) {
        await this.store.hit(`lp:${client}`, PENDING_WINDOW_MS, now, -1);
        throw this.tooMany('Too many sign-in attempts at once from this client; try again in 1 second.', 1, 'failed-logins');
      }
    }
    if (!opts.trustedDevice && this.decisions.isEnforced('account-failed-logins')) {
      const failures = (await this.store.get(`la:${username}`, now))?.count ?? 0;
      if (failures >= this.options.accountFreeFailures) {
        // One checked guess per delay window: the first hit in a window passes.
        const slot = await this.store.hit(`lt:${username}`, this.accountDelayMs(failures), now);
        if (slot.count > 1) {
          await this.release(client);
          const wait = Math.max(1, Math.ceil((slot.resetAt - now) / 1000));
          throw this.tooMany(`This account is protected after many failed sign-ins; try again in ${describeWait(wait)}.`, wait, 'account-failed-logins');
        }
      }
    }
  }

  async recordFailure(client: string, username: string): Promise<void> {
    const now = this.clock.now();
    // Count the failure before releasing the reservation, so failures + pending never dips.
    const failures = (await this.store.hit(`lf:${client}`, this.options.failedLoginMemorySeconds * 1000, now)).count;
    await this.release(client);
    const threshold = this.options.failedLoginThreshold;
    if (this.decisions.isAllowlisted(client)) {
      // Allowlisted clients are never held back by the per-client rules.
    } else if (failures >= threshold) {
      const seconds = this.options.failedLoginBufferSeconds * (failures - (threshold - 1));
      const reason = `${failures} failed logins`;
      await this.decisions.block({ client, rule: 'failed-logins', reason, seconds });
      await this.decisions.suspect({ client, rule: 'failed-logins', reason, seconds: Math.max(seconds, this.options.suspicionSeconds) });
    } else if (failures >= Math.ceil(threshold * this.options.suspiciousRatio)) {
      await this.decisions.suspect({ client, rule: 'failed-logins', reason: `${failures} failed logins (buffer from ${threshold})` });
    }

    const account = (await this.store.hit(`la:${username}`, HOUR_MS, now)).count;
    if (account >= this.options.accountFreeFailures) {
      // The next checked guess waits a full delay from this failure.
      await this.store.reset(`lt:${username}`);
      await this.store.hit(`lt:${username}`, this.accountDelayMs(account), now);
      if (account === this.options.accountFreeFailures) {
        await this.audit.record({
          type: 'account.delayed',
          client,
          actor: username,
          detail: `${account} failed sign-ins for ${username} within an hour; further attempts are delayed`,
        });
      }
    }
  }

  /** Counts a good password; throws 429 when this client has signed in too often this minute. */
  async recordSuccess(client: string, _username: string): Promise<void> {
    const now = this.clock.now();
    await this.release(client);
    const window = this.options.successWindowSeconds;
    const n = (await this.store.hit(`ls:${client}`, window * 1000, now)).count;
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
    await this.store.reset(`lf:${client}`);
  }

  /** Frees this attempt's reservation. */
  private async release(client: string): Promise<void> {
    await this.store.hit(`lp:${client}`, PENDING_WINDOW_MS, this.clock.now(), -1);
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
