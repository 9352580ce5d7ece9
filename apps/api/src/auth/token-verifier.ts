import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { LRUCache } from 'lru-cache';
import { CLOCK, type Clock } from '../core/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { AccessClaims } from './access-token.service';
import { JWT_ALGORITHM, SigningKeysService } from './signing-keys.service';

/**
 * Verifies access tokens: algorithm pinned to ES256, signature, `exp`, `iss`, `aud`.
 * An ES256 verify costs ~45 µs, most of an authenticated request, so the result for the
 * same token bytes is remembered (bounded LRU) until the token expires. Revocation is NOT
 * cached: the strategy checks it on every request.
 */
@Injectable()
export class TokenVerifier {
  private readonly cache = new LRUCache<string, AccessClaims>({ max: 20_000 });

  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Claims of a valid token; throws (jsonwebtoken's errors) otherwise. */
  verify(token: string): AccessClaims {
    const nowSec = Math.floor(this.clock.now() / 1000);
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.exp > nowSec) return cached;
      this.cache.delete(token);
    }
    const claims = this.jwt.verify<AccessClaims>(token, {
      publicKey: this.keys.publicKeyPem,
      algorithms: [JWT_ALGORITHM],
      issuer: this.config.jwtIssuer,
      audience: this.config.jwtAudience,
      clockTimestamp: nowSec,
    });
    if (typeof claims.jti !== 'string' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') {
      throw new Error('token lacks required claims');
    }
    if (claims.role !== 'admin' && claims.role !== 'user') throw new Error('token has an unknown role');
    this.cache.set(token, claims);
    return claims;
  }
}
