import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MeResponse } from '@bouncer/contracts';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { AuthRouteThrottle, clientKeyOf } from '../detection';
import { ProblemException } from '../http/problem.exception';
import { PublicOrigin } from '../http/public-origin';
import { UsersService } from '../users/users.service';
import { ChangePasswordDto } from './auth.dto';
import { AuthService } from './auth.service';
import { clearSessionCookie } from './session-cookie';

/** The signed-in caller's own account. */
@ApiTags('auth')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly origin: PublicOrigin,
  ) {}

  @Get()
  async me(@CurrentUser() user: AuthUser): Promise<MeResponse> {
    const row = await this.users.findByUsername(user.username);
    if (!row) throw new ProblemException(401, 'Unauthorized', 'The account no longer exists.');
    return {
      username: row.username,
      role: row.role,
      created_at: row.createdAt.toISOString(),
      recent_sign_ins: await this.users.recentSignIns(row.id),
    };
  }

  /** Changes the caller's password; their other sessions end. */
  @AuthRouteThrottle()
  @Post('password')
  @HttpCode(204)
  async changePassword(@CurrentUser() user: AuthUser, @Body() body: ChangePasswordDto, @Req() req: FastifyRequest): Promise<void> {
    await this.auth.changePassword(user, clientKeyOf(req), body.current_password, body.new_password);
  }

  @Post('logout-everywhere')
  @HttpCode(204)
  async logoutEverywhere(
    @CurrentUser() user: AuthUser,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.logoutEverywhere(user, clientKeyOf(req));
    clearSessionCookie(reply, this.origin.isHttps(req.raw));
  }
}
