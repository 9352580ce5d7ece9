import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceView, MeResponse, UserSession } from '@bouncer/contracts';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { AllowedBeforePasswordChange } from '../access/password-change.decorator';
import { AuditService } from '../audit/audit.service';
import { AuthRouteThrottle, clientKeyOf } from '../detection';
import { ProblemException } from '../http/problem.exception';
import { PublicOrigin } from '../http/public-origin';
import { DevicesService } from '../users/devices.service';
import { sessionIdFrom, UserSessionsService } from '../users/user-sessions.service';
import { UsersService } from '../users/users.service';
import { ChangePasswordDto } from './auth.dto';
import { AuthService } from './auth.service';
import { clearSessionCookie } from './session-cookie';
import { ApiJson, ApiNoContent, ApiProblems } from '../openapi/api-docs.decorators';
import { requestIdOf } from '../http/request-id.decorator';

/** The signed-in caller's own account. */
@ApiTags('auth')
@ApiBearerAuth()
@ApiProblems(401, 403)
@Controller('me')
export class MeController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly devices: DevicesService,
    private readonly origin: PublicOrigin,
    private readonly audit: AuditService,
    private readonly sessions: UserSessionsService,
  ) {}

  @AllowedBeforePasswordChange()
  @Get()
  @ApiJson('The signed-in account and its recent sign-ins', 'MeResponse')
  @ApiProblems(503)
  async me(@CurrentUser() user: AuthUser): Promise<MeResponse> {
    const row = await this.users.findByUsername(user.username);
    if (!row) throw new ProblemException(401, 'Unauthorized', 'The account no longer exists.');
    return {
      username: row.username,
      role: row.role,
      created_at: row.createdAt.toISOString(),
      recent_sign_ins: await this.users.recentSignIns(row.id),
      recent_failures: await this.recentFailures(row.username),
      must_change_password: row.mustChangePassword,
    };
  }

  /** Failed sign-ins at this account and its throttling, from the audit log (D22: "was this you?"). */
  private async recentFailures(username: string): Promise<MeResponse['recent_failures']> {
    const since = new Date(Date.now() - 7 * 86_400_000);
    const [failed, throttled] = await Promise.all(
      (['login.failed', 'account.delayed'] as const).map((type) => this.audit.page({ actor: username, type, since }, 20)),
    );
    return [
      ...failed!.items.map((e) => ({ at: e.at, address: e.client, kind: 'failed' as const })),
      ...throttled!.items.map((e) => ({ at: e.at, address: e.client, kind: 'throttled' as const })),
    ]
      .sort((a, b) => b.at.localeCompare(a.at))
      .slice(0, 20);
  }

  /** The caller's open sessions (signed-in browsers and token clients), this one marked `current`. */
  @Get('sessions')
  @ApiJson('Your open sessions, the most recently used first (ids, never tokens); `current` is this one', ['UserSession'])
  @ApiProblems(503)
  async listSessions(@CurrentUser() user: AuthUser): Promise<UserSession[]> {
    return (await this.sessions.list(user.username)).map((s) => ({ ...s, current: s.id === user.sid }));
  }

  /** Ends one of the caller's own sessions (a browser left signed in elsewhere): its tokens are refused at once. Audited. */
  @Delete('sessions/:id')
  @ApiNoContent('End one of your sessions')
  @ApiProblems(400, [404, 'No such open session of yours'], 503)
  @HttpCode(204)
  async endSession(@CurrentUser() user: AuthUser, @Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.sessions.revokeOwn(user.username, sessionIdFrom(id), clientKeyOf(req));
  }

  /** The caller's remembered devices (browsers that pass the account rule while it is under attack). */
  @Get('devices')
  @ApiJson('The browsers remembered for this account', ['DeviceView'])
  @ApiProblems(503)
  async listDevices(@CurrentUser() user: AuthUser): Promise<DeviceView[]> {
    return this.devices.list((await this.requireRow(user)).id);
  }

  /** Forgets one remembered device (audited). */
  @Delete('devices/:id')
  @ApiNoContent('Forget one remembered device')
  @ApiProblems([404, 'No such device of yours'], 503)
  @HttpCode(204)
  async forgetDevice(@CurrentUser() user: AuthUser, @Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.devices.revoke(await this.requireRow(user), id, clientKeyOf(req));
  }

  /** Forgets every remembered device (audited). */
  @Delete('devices')
  @ApiNoContent('Forget every remembered device')
  @ApiProblems(503)
  @HttpCode(204)
  async forgetDevices(@CurrentUser() user: AuthUser, @Req() req: FastifyRequest): Promise<void> {
    await this.devices.revokeAll(await this.requireRow(user), { actor: user.username, client: clientKeyOf(req), why: 'by their owner' });
  }

  /** Changes the caller's password; their other sessions end. */
  @AllowedBeforePasswordChange()
  @AuthRouteThrottle()
  @Post('password')
  @ApiNoContent('Change your password (your other sessions end)', { rateLimited: true })
  @ApiProblems(400, 413, 415, 429, 503)
  @HttpCode(204)
  async changePassword(@CurrentUser() user: AuthUser, @Body() body: ChangePasswordDto, @Req() req: FastifyRequest): Promise<void> {
    await this.auth.changePassword(user, clientKeyOf(req), body.current_password, body.new_password, requestIdOf(req));
  }

  @AllowedBeforePasswordChange()
  @Post('logout-everywhere')
  @ApiNoContent('End every session of this account')
  @ApiProblems(503)
  @HttpCode(204)
  async logoutEverywhere(
    @CurrentUser() user: AuthUser,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.logoutEverywhere(user, clientKeyOf(req));
    clearSessionCookie(reply, this.origin.isHttps(req.raw));
  }

  private async requireRow(user: AuthUser) {
    const row = await this.users.findByUsername(user.username);
    if (!row) throw new ProblemException(401, 'Unauthorized', 'The account no longer exists.');
    return row;
  }
}
