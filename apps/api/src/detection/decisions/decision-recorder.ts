import { Injectable, Logger } from '@nestjs/common';
import { decisionRef, type Effect, type EventSink } from '@bouncer/detection';
import { AuditService } from '../../audit/audit.service';
import { DecisionRepository } from './decision.repository';
import { DecisionSync } from './decision-sync';
import { decisionLine, liftLine } from './decision-log';
import { describeError } from '../../db/query-errors';

/**
 * The engine's event sink: what the engine decided is stored (so it survives a restart), told
 * to the other instances, and audited. The engine calls `record` synchronously; the I/O runs
 * in the background and `flush()` lets a caller wait for it, so an answer is sent only after
 * the decision it reports is stored.
 */
@Injectable()
export class DecisionRecorder implements EventSink {
  private readonly logger = new Logger(DecisionRecorder.name);
  private pending: Promise<void>[] = [];

  constructor(
    private readonly repository: DecisionRepository,
    private readonly sync: DecisionSync,
    private readonly audit: AuditService,
  ) {}

  private muted = false;

  record(effect: Effect): void {
    // Logged here, synchronously, while the request that caused it is current; a person's
    // lift is logged too (it reaches the engine muted), a person's block by DecisionService.
    if (effect.type === 'decided') this.logger.log(decisionLine(effect.decision));
    else if (effect.type === 'lifted') this.logger.log(liftLine(effect));
    else if (effect.type === 'extended') this.logger.debug({ ...decisionLine(effect.decision), event: 'decision.extended' });
    if (this.muted) return;
    this.pending.push(this.write(effect).catch((e: Error) => this.logger.error(`recording ${effect.type} failed: ${describeError(e)}`)));
  }

  /**
   * Runs an engine call whose effects the caller has already stored, shared and audited (a
   * person's block or lift, stored before it takes effect): they are not recorded twice. The
   * engine emits synchronously, so only this call's effects are dropped.
   */
  alreadyRecorded<T>(engineCall: () => T): T {
    this.muted = true;
    try {
      return engineCall();
    } finally {
      this.muted = false;
    }
  }

  /** Waits for everything recorded so far. */
  async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      await Promise.all(batch);
    }
  }

  get busy(): boolean {
    return this.pending.length > 0;
  }

  private async write(effect: Effect): Promise<void> {
    switch (effect.type) {
      case 'decided': {
        const d = effect.decision;
        this.sync.publish({ op: 'set', decision: d });
        await this.repository.saveDecision(d);
        const seconds = Math.round((d.expiresAt - d.createdAt) / 1000);
        if (d.state === 'suspicious') {
          await this.audit.record({
            type: 'decision.suspicious',
            client: d.client,
            actor: d.decidedBy,
            detail: `${d.reason} (${d.rule}; ref ${decisionRef(d)})`,
          });
        } else {
          await this.audit.record({
            type: d.enforced ? 'decision.blocked' : 'decision.blocked.observed',
            client: d.client,
            actor: d.decidedBy,
            detail: `${d.reason} (${d.rule}, ${seconds} s${d.scope === 'sign-in' ? ', sign-in routes' : ''}${d.enforced ? '' : ', observe only'}; ref ${decisionRef(d)})`,
          });
        }
        return;
      }
      case 'extended':
        // Lengthened, not new: stored and shared quietly.
        this.sync.publish({ op: 'set', decision: effect.decision });
        await this.repository.saveDecision(effect.decision);
        return;
      case 'lifted':
        this.sync.publish({ op: 'lift', client: effect.client, state: effect.state });
        await this.repository.deleteDecision(effect.client, effect.state);
        await this.audit.record({
          type: `decision.${effect.state === 'blocked' ? 'unblocked' : 'cleared'}`,
          client: effect.client,
          actor: effect.by,
          detail: `${effect.state} decision ${effect.why} by ${effect.by}`,
        });
        return;
      case 'offence':
        await this.repository.saveBlockHistory(effect.client, effect.history.at, effect.history.seconds, effect.history.count);
        return;
      case 'notice':
        await this.audit.record({ type: effect.event, client: effect.client, actor: effect.actor, detail: effect.detail });
        return;
      case 'revoke-token':
        // The caller that presented the token revokes it (auth owns revocation).
        return;
    }
  }
}
