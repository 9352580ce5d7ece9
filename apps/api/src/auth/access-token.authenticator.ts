import { Injectable } from '@nestjs/common';
import { ExtractJwt } from 'passport-jwt';
import { type BearerAuthenticator, BearerRefusal } from '../access/bearer-authenticator';
import type { AuthUser } from '../access/current-user.decorator';
import { RevocationService } from '../access/revocation.service';
import { clientKeyOf, TokenMisuseService } from '../detection';
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

  async authenticate(req: unknown): Promise<AuthUser> {
    const token = this.tokenFrom(req as Parameters<typeof this.tokenFrom>[0]);
    if (!token) throw new BearerRefusal('missing');
    let claims;
    try {
      claims = this.verifier.verify(token);
    } catch (err) {
      throw new BearerRefusal((err as Error).name === 'TokenExpiredError' ? 'expired' : 'invalid');
    }
    if (this.revocation.isRevoked(claims)) throw new BearerRefusal('invalid');
    const client = clientKeyOf(req);
    // Usually answered at once (the embedded store): no await, no turn of the event loop.
    const seen = this.misuse.observeAccessToken(claims.jti, client, claims.sub, claims.exp, requestIdOf(req));
    if ((seen instanceof Promise ? await seen : seen) === 'revoke') {
      // The service's own revocation: refusing is the safe side, so in force even before it is stored.
      await this.revocation.enforceNow([this.revocation.forToken(claims.jti, claims.exp * 1000)]);
      throw new BearerRefusal('invalid');
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
