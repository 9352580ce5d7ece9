import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AccessModule } from '../access/access.module';
import { BEARER_AUTHENTICATOR } from '../access/bearer-authenticator';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { PublicOrigin } from '../http/public-origin';
import { UsersModule } from '../users/users.module';
import { AccessTokenAuthenticator } from './access-token.authenticator';
import { AccessTokenService } from './access-token.service';
import { AuthService } from './auth.service';
import { JwksController } from './jwks.controller';
import { MeController } from './me.controller';
import { RefreshTokenService } from './refresh-token.service';
import { NoCrossSiteGuard, SameOriginGuard } from './same-origin.guard';
import { SessionController } from './session.controller';
import { SigningKeysService } from './signing-keys.service';
import { TokenController } from './token.controller';
import { TokenVerifier } from './token-verifier';

/**
 * Signing in and tokens: the token, session, me and JWKS endpoints, access and refresh tokens,
 * and the bearer-token authenticator the global JwtAuthGuard (access/) runs. Uses users/ for accounts and
 * detection/ for the sign-in and token rules.
 */
@Module({
  imports: [AccessModule, JwtModule.register({}), UsersModule],
  controllers: [TokenController, SessionController, MeController, JwksController],
  providers: [
    AccessTokenAuthenticator,
    { provide: BEARER_AUTHENTICATOR, useExisting: AccessTokenAuthenticator },
    AccessTokenService,
    AuthService,
    NoCrossSiteGuard,
    RefreshTokenService,
    SameOriginGuard,
    SigningKeysService,
    TokenVerifier,
    { provide: PublicOrigin, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new PublicOrigin(config) },
  ],
})
export class AuthModule {}
