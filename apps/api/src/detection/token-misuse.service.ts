import { Inject, Injectable, Optional } from '@nestjs/common';
import { andThen, type Decision, type DetectionEngine, type MaybePromise } from '@bouncer/detection';
import { CLOCK, type Clock } from '../core/clock';
import { DecisionRecorder } from './decisions/decision-recorder';
import { DETECTION_ENGINE } from './engine.provider';
import { Metrics } from '../core/metrics';

/** How long a refresh family's users are remembered: a phone changing networks is normal later. */
const FAMILY_WINDOW_MS = 15 * 60_000;

/**
 * Token misuse through the engine (rule kind `token-spread`): a token carried by more clients
 * than one is suspicious, by too many it is revoked. A client already seen with a token is
 * answered from memory (no store trip on the usual request).
 */
@Injectable()
export class TokenMisuseService {
  constructor(
    @Inject(DETECTION_ENGINE) private readonly engine: DetectionEngine,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly recorder: DecisionRecorder,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  /** Called on every authenticated request: answered at once (no promise) when the store is in memory. */
  observeAccessToken(
    jti: string,
    client: string,
    username: string,
    expiresAtSec: number,
    requestId?: string,
  ): MaybePromise<'ok' | 'revoke'> {
    // The bare jti (a UUID, so it never meets a `family:` key): the same string object for every
    // request with this token (TokenVerifier keeps its claims), so the engine's lookup hashes nothing new.
    const token = jti;
    // The usual request: this client showed this token before. Nothing to decide, so no event is
    // built (nor its text); a decision being recorded is still waited for, as below.
    if (!this.recorder.busy && this.engine.seenBefore(token, client)) return 'ok';
    return this.observe(token, client, `access token of ${username}`, expiresAtSec * 1000, requestId);
  }

  async observeRefreshFamily(familyId: string, client: string, username: string, requestId?: string): Promise<'ok' | 'revoke'> {
    return this.observe(`family:${familyId}`, client, `session of ${username}`, this.clock.now() + FAMILY_WINDOW_MS, requestId);
  }

  /** A rotated refresh token came back: whoever presents it is suspicious. */
  async refreshReuse(client: string, username: string, requestId?: string): Promise<void> {
    this.metrics?.tokenMisuse.labels('refresh_reuse').inc();
    await this.engine.decide({ type: 'refresh-reused', client, subject: username, cause: requestId });
    await this.recorder.flush();
  }

  private observe(token: string, client: string, what: string, expiresAt: number, requestId?: string): MaybePromise<'ok' | 'revoke'> {
    const seen = this.engine.decide({ type: 'token-seen', client, token, what, expiresAt, cause: requestId });
    return andThen(seen, (d) => (this.recorder.busy ? this.recorder.flush().then(() => this.outcome(d)) : this.outcome(d)));
  }

  private outcome(d: Decision): 'ok' | 'revoke' {
    if (!(d.revokeToken && d.verdict === 'blocked')) return 'ok';
    this.metrics?.tokenMisuse.labels('spread_revoked').inc();
    return 'revoke';
  }
}
