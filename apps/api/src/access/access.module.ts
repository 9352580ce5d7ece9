import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RevocationService } from './revocation.service';
import { RolesGuard } from './roles.guard';

/**
 * Who may call what, shared by every feature: the global guards (authentication, then roles),
 * the decorators that tell them about a route (@Public, @Roles, @CurrentUser) and the
 * revocations that kill a token early. Imports no feature; `auth/` registers the JWT strategy
 * that JwtAuthGuard runs, and `users/` ends tokens through RevocationService.
 */
@Module({
  providers: [RevocationService, { provide: APP_GUARD, useClass: JwtAuthGuard }, { provide: APP_GUARD, useClass: RolesGuard }],
  exports: [RevocationService],
})
export class AccessModule {}
