import { Inject, Injectable } from '@nestjs/common';
import type { DetectionEngine, SignInTicket, SignInWarning } from '@bouncer/detection';
import { DecisionRecorder } from './decisions/decision-recorder';
import { DETECTION_ENGINE } from './engine.provider';
import { refusalProblem } from './refusal';
import { RefusalPacing } from './refusal-pacing';

/**
 * A wrong password is answered with the failures left before this client's sign-ins pause only
 * when at most this many are left. A person needs the warning just before the pause (as
 * Keycloak's and Auth0's sign-in pages give it); told from the first failure, a prober would
 * read the threshold off its first guess for free. Near the end it learns little it could not
 * learn by counting to the 429, which states the wait anyway. Only the client's own rules
 * (`login-buffer`) warn: the account rule's count includes other clients' guesses at the
 * account, which are not this client's business. A refused (429, 403) answer never carries it.
 */
export const WARN_WHEN_LEFT = 2;

/**
 * The sign-in flow's adapter over the engine. `check` runs before any password hashing, so a
 * refused attempt costs nothing, and it counts the attempt at the same time (one atomic step),
 * so simultaneous guesses get no more checks than the same guesses one by one. The ticket it
 * returns is handed back with the outcome. The rules themselves are in libs/detection.
 */
@Injectable()
export class LoginDefenseService {
  constructor(
    @Inject(DETECTION_ENGINE) private readonly engine: DetectionEngine,
    private readonly recorder: DecisionRecorder,
    private readonly pacing: RefusalPacing,
  ) {}

  /**
   * Throws 429 when this attempt may not be checked now (held first while the event loop is
   * overloaded: see RefusalPacing); otherwise returns what it holds.
   */
  async check(client: string, account: string, opts: { trustedDevice: boolean; requestId?: string }): Promise<SignInTicket> {
    const d = await this.engine.decide({
      type: 'sign-in-attempt',
      client,
      account,
      trustedDevice: opts.trustedDevice,
      cause: opts.requestId,
    });
    await this.settled();
    if (d.verdict === 'blocked') {
      await this.pacing.hold(client, d.retryAfter ?? 1);
      throw refusalProblem(d, this.engine.rules);
    }
    return d.ticket ?? { holds: {} };
  }

  /**
   * Counts a wrong password. Returns the warning the client may be told: only when its sign-ins
   * pause within `WARN_WHEN_LEFT` more failures (see there why not always).
   */
  async recordFailure(client: string, account: string, ticket: SignInTicket, requestId?: string): Promise<SignInWarning | undefined> {
    const d = await this.engine.decide({ type: 'sign-in-failed', client, account, ticket, cause: requestId });
    await this.settled();
    const w = d.signInWarning;
    return w && w.attemptsLeft <= WARN_WHEN_LEFT ? w : undefined;
  }

  /** Counts a good password; throws 429 when this client has signed in too often. */
  async recordSuccess(client: string, account: string, ticket: SignInTicket, requestId?: string): Promise<void> {
    const d = await this.engine.decide({ type: 'sign-in-succeeded', client, account, ticket, cause: requestId });
    await this.settled();
    if (d.verdict === 'blocked') throw refusalProblem(d, this.engine.rules);
  }

  /** The attempt was admitted but never checked (an error on the way): give its place back. */
  async abandon(client: string, account: string, ticket: SignInTicket, requestId?: string): Promise<void> {
    await this.engine.decide({ type: 'sign-in-abandoned', client, account, ticket, cause: requestId });
  }

  /** Decisions are stored and audited before the answer that reports them goes out. */
  private async settled(): Promise<void> {
    if (this.recorder.busy) await this.recorder.flush();
  }
}
