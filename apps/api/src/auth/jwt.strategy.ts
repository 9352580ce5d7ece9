import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as PassportBaseStrategy, type StrategyFailure } from 'passport';
import { ExtractJwt } from 'passport-jwt';
import type { AuthUser } from '../access/current-user.decorator';
import { RevocationService } from '../access/revocation.service';
import { clientKeyOf, TokenMisuseService } from '../detection';
import type { AccessClaims } from './access-token.service';
import { TokenVerifier } from './token-verifier';

type Failure = StrategyFailure;
type Verified = (err: Error | null, user?: Express.User | false, info?: object) => void;
type VerifyClaims = (req: unknown, claims: AccessClaims, done: Verified) => void;

/**
 * A passport strategy for bearer access tokens: passport-jwt's extractor reads the token and
 * TokenVerifier checks it (ES256 pinned, exp/iss/aud against the injected clock, cached per
 * token until it expires).
 *
 * Why not passport-jwt's own Strategy: it always runs jsonwebtoken's verify (~45 µs of ES256,
 * most of an authenticated request) and can only be told otherwise by replacing its static
 * `Strategy.JwtVerifier`, which patches the library for the whole process. This base follows
 * passport's documented contract instead (`authenticate` ends in success, fail or error),
 * as passport-jwt's does, with the same failure info (`No auth token`, jsonwebtoken's errors)
 * for JwtAuthGuard to word the 401.
 */
class BearerTokenStrategy extends PassportBaseStrategy {
  private readonly tokenFrom = ExtractJwt.fromAuthHeaderAsBearerToken();

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly verifyClaims: VerifyClaims,
  ) {
    super();
  }

  override authenticate(req: Parameters<PassportBaseStrategy['authenticate']>[0]): void {
    const token = this.tokenFrom(req);
    if (!token) return this.fail(new Error('No auth token'));
    let claims: AccessClaims;
    try {
      claims = this.verifier.verify(token);
    } catch (err) {
      return this.fail(err as Failure);
    }
    this.verifyClaims(req, claims, (err, user, info) => {
      if (err) this.error(err);
      else if (!user) this.fail(info);
      else this.success(user, info);
    });
  }
}

/** The 'jwt' strategy the global JwtAuthGuard runs: a valid, unrevoked token, not spread over too many clients. */
@Injectable()
export class JwtStrategy extends PassportStrategy(BearerTokenStrategy, 'jwt') {
  constructor(
    verifier: TokenVerifier,
    private readonly revocation: RevocationService,
    private readonly misuse: TokenMisuseService,
  ) {
    super(verifier);
  }

  async validate(req: unknown, claims: AccessClaims): Promise<AuthUser | false> {
    if (this.revocation.isRevoked(claims)) return false;
    const client = clientKeyOf(req);
    if ((await this.misuse.observeAccessToken(claims.jti, client, claims.sub, claims.exp)) === 'revoke') {
      await this.revocation.revokeToken(claims.jti, claims.exp * 1000);
      return false;
    }
    return { username: claims.sub, role: claims.role, jti: claims.jti, exp: claims.exp, iat: claims.iat, sid: claims.sid };
  }
}
