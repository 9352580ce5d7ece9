import { Injectable } from '@nestjs/common';
import { ExtractJwt } from 'passport-jwt';
import { type BearerAuthenticator, BearerRefusal } from '../access/bearer-authenticator';
import type { AuthUser } from '../access/current-user.decorator';
import { RevocationService } from '../access/revocation.service';
import { clientKeyOf, TokenMisuseService } from '../detection';
import type { AccessClaims } from './access-token.service';
import { TokenVerifier } from './token-verifier';
import { requestIdOf } from '../http/request-id.decorator';

/**
 * What the global JwtAuthGuard runs: a bearer access token that TokenVerifier accepts (ES256
 * pinned, exp/iss/aud against the injected clock, cached per token until it expires), not
 * revoked, and not spread over too many clients.
 */
@Injectable()
export class AccessTokenAuthenticator implements BearerAuthenticator {
  private readonly tokenFrom = ExtractJwt.fromAuthHeaderAsBearerToken();

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly revocation: RevocationService,
    private readonly misuse: TokenMisuseService,
  ) {}

  /** Answers at once (no promise) unless the token check waits for a shared store. */
  authenticate(req: unknown): AuthUser | Promise<AuthUser> {
    const token = this.bearerToken(req as Parameters<typeof this.tokenFrom>[0]);
    if (!token) throw new BearerRefusal('missing');
    let claims: AccessClaims;
    try {
      claims = this.verifier.verify(token);
    } catch (err) {
      throw new BearerRefusal((err as Error).name === 'TokenExpiredError' ? 'expired' : 'invalid');
    }
    if (this.revocation.isRevoked(claims)) throw new BearerRefusal('invalid');
    const seen = this.misuse.observeAccessToken(claims.jti, clientKeyOf(req), claims.sub, claims.exp, requestIdOf(req));
    return seen instanceof Promise ? seen.then((s) => this.conclude(s, claims)) : this.conclude(seen, claims);
  }

  /**
   * The usual header, `Bearer <token>`, read without passport-jwt's regular expression and the
   * objects it makes (per request, on the hottest route); any other form goes to its extractor,
   * which stays the definition of what is accepted.
   */
  private bearerToken(req: Parameters<typeof this.tokenFrom>[0]): string | null {
    const header = (req as { headers?: Record<string, unknown> }).headers?.['authorization'];
    if (typeof header === 'string' && header.startsWith('Bearer ') && header.length > 7 && !WHITESPACE.test(header.slice(7)))
      return header.slice(7);
    return this.tokenFrom(req);
  }

  private conclude(seen: 'ok' | 'revoke', claims: AccessClaims): AuthUser | Promise<AuthUser> {
    if (seen === 'revoke') {
      // The service's own revocation: refusing is the safe side, so in force even before it is stored.
      return this.revocation.enforceNow([this.revocation.forToken(claims.jti, claims.exp * 1000)]).then(() => {
        throw new BearerRefusal('invalid');
      });
    }
    return {
      username: claims.sub,
      role: claims.role,
      jti: claims.jti,
      exp: claims.exp,
      iat: claims.iat,
      sid: claims.sid,
      mustChangePassword: claims.pwc === true,
    };
  }
}

const WHITESPACE = /\s/;
