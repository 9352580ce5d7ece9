import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../common/clock';
import { DecisionService } from './decision.service';
import { DETECTION_OPTIONS } from './detection.tokens';
import type { DetectionOptions } from './detection-options';

interface Usage {
  /** client → last seen (ms); at most tokenMaxClients + 1 entries. */
  clients: Map<string, number>;
  /** When to stop remembering (token expiry). */
  until: number;
}

/** How long a refresh family's clients are remembered. */
const FAMILY_MEMORY_MS = 24 * 3600_000;

/**
 * Rule 5: a token is carried by one client. The same access token (jti) or refresh family
 * used from a second client while the first still uses it (seen within the token window)
 * marks the newcomer suspicious, naming both; used from more than `tokenMaxClients`
 * clients within the window, the answer is 'revoke' and the newcomer is blocked.
 */
@Injectable()
export class TokenMisuseService {
  private readonly tokens: LRUCache<string, Usage>;

  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly decisions: DecisionService,
    private readonly audit: AuditService,
  ) {
    this.tokens = new LRUCache({ max: options.maxTrackedClients });
  }

  /** Called on every authenticated request: a map lookup for a token seen from its usual client. */
  observeAccessToken(jti: string, client: string, username: string, expiresAtSec: number): 'ok' | 'revoke' {
    return this.observe(`jti:${jti}`, client, `access token of ${username}`, expiresAtSec * 1000);
  }

  observeRefreshFamily(familyId: string, client: string, username: string): 'ok' | 'revoke' {
    return this.observe(`family:${familyId}`, client, `session of ${username}`, this.clock.now() + FAMILY_MEMORY_MS);
  }

  /** A rotated-away refresh token came back: whoever presents it is suspicious. */
  async refreshReuse(client: string, username: string): Promise<void> {
    this.decisions.suspect({ client, rule: 'refresh-reuse', reason: `presented an already used refresh token of ${username}` });
    await this.audit.record({ type: 'token.refresh-reuse', client, actor: null, detail: `Reuse of a rotated refresh token of ${username}; the session was revoked` });
  }

  /** Forgets tokens past their expiry (the healing job). */
  prune(now: number): number {
    let n = 0;
    for (const [k, u] of this.tokens.entries()) {
      if (u.until <= now) {
        this.tokens.delete(k);
        n++;
      }
    }
    return n;
  }

  private observe(key: string, client: string, what: string, until: number): 'ok' | 'revoke' {
    if (this.options.mode === 'off') return 'ok';
    const now = this.clock.now();
    const u = this.tokens.get(key);
    if (!u || u.until <= now) {
      this.tokens.set(key, { clients: new Map([[client, now]]), until });
      return 'ok';
    }
    if (u.clients.has(client)) {
      u.clients.set(client, now);
      return 'ok';
    }
    // A newcomer: who else used this token within the window?
    const windowMs = this.options.tokenWindowSeconds * 1000;
    for (const [c, seen] of u.clients) if (now - seen >= windowMs) u.clients.delete(c);
    const others = [...u.clients.keys()];
    u.clients.set(client, now);
    if (u.clients.size > this.options.tokenMaxClients) {
      // Bound the map: keep the first users and this newcomer.
      while (u.clients.size > this.options.tokenMaxClients + 1) u.clients.delete([...u.clients.keys()][1]);
      const reason = `${what} used from ${u.clients.size} clients within ${this.options.tokenWindowSeconds} s (${[...u.clients.keys()].join(', ')})`;
      this.decisions.block({ client, rule: 'token-misuse', reason, seconds: this.options.banSeconds, escalate: true });
      this.decisions.suspect({ client, rule: 'token-misuse', reason });
      return this.decisions.isEnforced('token-misuse') ? 'revoke' : 'ok';
    }
    if (others.length > 0) {
      this.decisions.suspect({ client, rule: 'token-misuse', reason: `${what} used from ${client} while in use by ${others.join(', ')}` });
    }
    return 'ok';
  }
}
