import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { RecentMap } from '@bouncer/detection';
import { CLOCK, type Clock } from '../core/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { AccessClaims } from './access-token.service';
import { JWT_ALGORITHM, SigningKeysService } from './signing-keys.service';

/** How far ahead of this instance's clock a token's `iat` may be (another instance's clock). */
const MAX_CLOCK_SKEW_SECONDS = 30;

/**
 * Verifies access tokens: algorithm pinned to ES256, signature, `exp`, `iss`, `aud`, no `crit`
 * header (we understand no extension, RFC 7515 4.1.11), `iat` not in the future, a `gen`.
 *
 * ECDSA signatures are malleable: (r, n - s) verifies as well as (r, s), so one token has two
 * encodings. That is harmless here: both carry the same claims, and everything that ends or
 * counts a token keys on its `jti`, `sid` or `sub` + `gen`, never on its bytes (the cache below
 * only saves the signature check).
 * An ES256 verify costs ~45 µs, most of an authenticated request, so the result for the
 * same token bytes is remembered (bounded, RecentMap) until the token expires. Revocation is NOT
 * cached: the strategy checks it on every request.
 */
@Injectable()
export class TokenVerifier {
  private readonly cache = new RecentMap<string, AccessClaims>(20_000);

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
    const { header, payload: claims } = this.jwt.verify<{ header: Record<string, unknown>; payload: AccessClaims }>(token, {
      publicKey: this.keys.publicKeyPem,
      algorithms: [JWT_ALGORITHM],
      issuer: this.config.jwtIssuer,
      audience: this.config.jwtAudience,
      clockTimestamp: nowSec,
      complete: true,
    });
    if ('crit' in header) throw new Error('token has a critical header extension');
    if (typeof claims.jti !== 'string' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') {
      throw new Error('token lacks required claims');
    }
    if (!Number.isInteger(claims.iat) || claims.iat > nowSec + MAX_CLOCK_SKEW_SECONDS) throw new Error('token issued in the future');
    // Tokens issued before generations existed have none: refused, a refresh gives a new one.
    if (!Number.isSafeInteger(claims.gen) || claims.gen < 0) throw new Error('token lacks its generation');
    if (claims.role !== 'admin' && claims.role !== 'user') throw new Error('token has an unknown role');
    this.cache.set(token, claims);
    return claims;
  }
}
