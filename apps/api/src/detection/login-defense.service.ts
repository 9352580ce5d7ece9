import { Inject, Injectable } from '@nestjs/common';
import type { DetectionEngine, SignInTicket } from '@bouncer/detection';
import { DecisionRecorder } from './decisions/decision-recorder';
import { DETECTION_ENGINE } from './engine.provider';
import { refusalProblem } from './refusal';
import { RefusalPacing } from './refusal-pacing';

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
  async check(client: string, account: string, opts: { trustedDevice: boolean }): Promise<SignInTicket> {
    const d = await this.engine.decide({ type: 'sign-in-attempt', client, account, trustedDevice: opts.trustedDevice });
    await this.settled();
    if (d.verdict === 'blocked') {
      await this.pacing.hold(client, d.retryAfter ?? 1);
      throw refusalProblem(d, this.engine.rules);
    }
    return d.ticket ?? { holds: {} };
  }

  async recordFailure(client: string, account: string, ticket: SignInTicket): Promise<void> {
    await this.engine.decide({ type: 'sign-in-failed', client, account, ticket });
    await this.settled();
  }

  /** Counts a good password; throws 429 when this client has signed in too often. */
  async recordSuccess(client: string, account: string, ticket: SignInTicket): Promise<void> {
    const d = await this.engine.decide({ type: 'sign-in-succeeded', client, account, ticket });
    await this.settled();
    if (d.verdict === 'blocked') throw refusalProblem(d, this.engine.rules);
  }

  /** The attempt was admitted but never checked (an error on the way): give its place back. */
  async abandon(client: string, account: string, ticket: SignInTicket): Promise<void> {
    await this.engine.decide({ type: 'sign-in-abandoned', client, account, ticket });
  }

  /** Decisions are stored and audited before the answer that reports them goes out. */
  private async settled(): Promise<void> {
    if (this.recorder.busy) await this.recorder.flush();
  }
}
