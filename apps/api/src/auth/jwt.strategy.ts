import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { CLOCK, type Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { clientKeyOf, TokenMisuseService } from '../anomaly';
import type { AccessClaims } from './access-token.service';
import type { AuthUser } from './decorators/current-user.decorator';
import { RevocationService } from './revocation.service';
import { JWT_ALGORITHM, SigningKeysService } from './signing-keys.service';
import { TokenVerifier } from './token-verifier';

type VerifyCallback = (err: Error | null, payload?: unknown) => void;

/**
 * passport-jwt reads the bearer token; verification itself goes through TokenVerifier
 * (pinned algorithm, cached per token). passport-jwt exposes its verifier only as the
 * static `Strategy.JwtVerifier`, so it is replaced here; this process has no other
 * passport-jwt strategy that could be affected.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    keys: SigningKeysService,
    verifier: TokenVerifier,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly revocation: RevocationService,
    private readonly misuse: TokenMisuseService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_req: unknown, _raw: string, done: (err: null, key: string) => void) =>
        done(null, keys.publicKeyPem),
      algorithms: [JWT_ALGORITHM],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      passReqToCallback: true,
    });
    (Strategy as unknown as { JwtVerifier: unknown }).JwtVerifier = (
      token: string,
      _key: string,
      _opts: unknown,
      done: VerifyCallback,
    ) => {
      try {
        done(null, verifier.verify(token));
      } catch (err) {
        done(err as Error);
      }
    };
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
