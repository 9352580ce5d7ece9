import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { UsersController } from '../users/users.controller';
import { UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { DeviceCookieService } from './device-cookie.service';
import { JwtAuthGuard } from '../access/jwt-auth.guard';
import { RolesGuard } from '../access/roles.guard';
import { JwtStrategy } from './jwt.strategy';
import { PasswordService } from '../users/password.service';
import { RefreshTokenService } from './refresh-token.service';
import { RevocationService } from '../access/revocation.service';
import { SigningKeysService } from './signing-keys.service';
import { TokenVerifier } from './token-verifier';

/** People, passwords and tokens. Registers the global guards: authentication, then roles. */
@Module({
  imports: [PassportModule, JwtModule.register({})],
  controllers: [AuthController, UsersController],
  providers: [
    AccessTokenService,
    AuthService,
    DeviceCookieService,
    JwtStrategy,
    PasswordService,
    RefreshTokenService,
    RevocationService,
    SigningKeysService,
    TokenVerifier,
    UsersService,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [UsersService, RevocationService, RefreshTokenService],
})
export class AuthModule {}
