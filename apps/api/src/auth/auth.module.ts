import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AccessModule } from '../access/access.module';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { PublicOrigin } from '../http/public-origin';
import { UsersModule } from '../users/users.module';
import { AccessTokenService } from './access-token.service';
import { AuthService } from './auth.service';
import { DeviceCookieService } from './device-cookie.service';
import { JwksController } from './jwks.controller';
import { JwtStrategy } from './jwt.strategy';
import { MeController } from './me.controller';
import { RefreshTokenService } from './refresh-token.service';
import { NoCrossSiteGuard, SameOriginGuard } from './same-origin.guard';
import { SessionController } from './session.controller';
import { SigningKeysService } from './signing-keys.service';
import { TokenController } from './token.controller';
import { TokenVerifier } from './token-verifier';

/**
 * Signing in and tokens: the token, session, me and JWKS endpoints, access and refresh tokens,
 * and the JWT strategy the global JwtAuthGuard (access/) runs. Uses users/ for accounts and
 * detection/ for the sign-in and token rules.
 */
@Module({
  imports: [AccessModule, JwtModule.register({}), PassportModule, UsersModule],
  controllers: [TokenController, SessionController, MeController, JwksController],
  providers: [
    AccessTokenService,
    AuthService,
    DeviceCookieService,
    JwtStrategy,
    RefreshTokenService,
    NoCrossSiteGuard,
    SameOriginGuard,
    SigningKeysService,
    TokenVerifier,
    { provide: PublicOrigin, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new PublicOrigin(config) },
  ],
})
export class AuthModule {}
