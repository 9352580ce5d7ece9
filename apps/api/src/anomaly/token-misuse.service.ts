import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { CLOCK, type Clock } from '../common/clock';
import { DecisionService } from './decision.service';
import { DETECTION_OPTIONS } from './detection.tokens';
import type { DetectionOptions } from './detection-options';

interface Usage {
  clients: string[];
  expiresAt: number;
}

/** How long a refresh family's users are remembered: a phone changing networks is normal later. */
const FAMILY_WINDOW_MS = 15 * 60_000;

/**
 * Rule 5: a token is carried by one client. The same access token (jti) or refresh family
 * used from a second client while the first still uses it marks the newcomer suspicious;
 * from more than `tokenMaxClients` clients, the token is revoked and newcomers are blocked.
 */
@Injectable()
export class TokenMisuseService {
  private readonly tokens: LRUCache<string, Usage>;

  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly decisions: DecisionService,
  ) {
    this.tokens = new LRUCache({ max: options.maxTrackedClients });
  }

  /** Called on every authenticated request: O(1) for a token seen from its usual client. */
  observeAccessToken(jti: string, client: string, username: string, expiresAtSec: number): 'ok' | 'revoke' {
    return this.observe(`jti:${jti}`, client, `access token of ${username}`, expiresAtSec * 1000);
  }

  observeRefreshFamily(familyId: string, client: string, username: string): 'ok' | 'revoke' {
    return this.observe(`family:${familyId}`, client, `session of ${username}`, this.clock.now() + FAMILY_WINDOW_MS);
  }

  /** A rotated refresh token came back: whoever presents it is suspicious. */
  async refreshReuse(client: string, username: string): Promise<void> {
    await this.decisions.suspect({ client, rule: 'refresh-reuse', reason: `presented an already-used refresh token of ${username}` });
  }

  private observe(key: string, client: string, what: string, expiresAt: number): 'ok' | 'revoke' {
    if (this.options.mode === 'off') return 'ok';
    const now = this.clock.now();
    let u = this.tokens.get(key);
    if (!u || u.expiresAt <= now) {
      u = { clients: [client], expiresAt };
      this.tokens.set(key, u);
      return 'ok';
    }
    if (u.clients[0] === client || u.clients.includes(client)) return 'ok';
    u.clients.push(client);
    const first = u.clients[0];
    if (u.clients.length > this.options.tokenMaxClients) {
      void this.decisions.block({
        client,
        rule: 'token-misuse',
        reason: `${what} used from ${u.clients.length} clients (first ${first})`,
        seconds: this.options.banSeconds,
        escalate: true,
      });
      return this.decisions.isEnforced('token-misuse') ? 'revoke' : 'ok';
    }
    void this.decisions.suspect({ client, rule: 'token-misuse', reason: `${what} used from ${client} while in use by ${first}` });
    return 'ok';
  }
}
