import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Role } from '@bouncer/contracts';
import { CLOCK, type Clock } from '../core/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { JWT_ALGORITHM, SigningKeysService } from './signing-keys.service';

/**
 * The claims of a Bouncer access token. `sid` is the refresh family (session) it belongs to;
 * `gen` the user's token generation when it was issued (it dies when the generation is raised).
 */
export interface AccessClaims {
  sub: string;
  role: Role;
  jti: string;
  sid: string;
  gen: number;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
  /** Present (true) while the account must change its password: the token permits only that (PasswordChangeGuard). */
  pwc?: true;
}

@Injectable()
export class AccessTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  get ttlSeconds(): number {
    return this.config.accessTokenTtlSeconds;
  }

  sign(
    user: { username: string; role: Role; tokenGeneration: number; mustChangePassword: boolean },
    sessionId: string,
  ): { token: string; jti: string; exp: number } {
    const iat = Math.floor(this.clock.now() / 1000);
    const exp = iat + this.config.accessTokenTtlSeconds;
    const jti = randomUUID();
    const token = this.jwt.sign(
      {
        sub: user.username,
        role: user.role,
        jti,
        sid: sessionId,
        gen: user.tokenGeneration,
        iat,
        exp,
        iss: this.config.jwtIssuer,
        aud: this.config.jwtAudience,
        ...(user.mustChangePassword ? { pwc: true } : {}),
      },
      { privateKey: this.keys.privateKeyPem, algorithm: JWT_ALGORITHM, keyid: this.keys.kid },
    );
    return { token, jti, exp };
  }
}
