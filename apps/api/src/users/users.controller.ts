import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { PasswordResetResponse, UserSession, UserSummary } from '@bouncer/contracts';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { clientKeyOf } from '../detection/client-key';
import { ProblemException } from '../http/problem.exception';
import { DevicesService } from './devices.service';
import { sessionIdFrom, UserSessionsService } from './user-sessions.service';
import { CreateUserDto, UpdateUserDto } from './users.dto';
import { UsersService } from './users.service';
import { ApiJson, ApiNoContent, ApiProblems } from '../openapi/api-docs.decorators';

/** A session's id: the UUID of its refresh-token family. */

/** Admin user management. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@ApiProblems(401, 403)
@Controller('admin/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly devices: DevicesService,
    private readonly sessions: UserSessionsService,
  ) {}

  @Get()
  @ApiJson('Every user account', ['UserSummary'])
  @ApiProblems(503)
  list(): Promise<UserSummary[]> {
    return this.users.list();
  }

  @Post()
  @ApiJson('Create a user', 'UserSummary', { status: 201, description: 'The user created' })
  @ApiProblems(400, [409, 'The username is taken'], 413, 415, 503)
  create(@Body() body: CreateUserDto, @CurrentUser() admin: AuthUser): Promise<UserSummary> {
    return this.users.create(body.username, body.password, body.role, admin.username);
  }

  @Patch(':username')
  @ApiJson("Change a user's role, or disable or enable it (disabling ends its sessions)", 'UserSummary')
  @ApiProblems(400, 404, [409, 'It would leave no enabled admin'], 413, 415, 503)
  update(@Param('username') username: string, @Body() body: UpdateUserDto, @CurrentUser() admin: AuthUser): Promise<UserSummary> {
    if (body.role === undefined && body.disabled === undefined) {
      throw new ProblemException(400, 'Bad Request', 'Nothing to change: give role or disabled.', {
        errors: [{ field: 'role', message: 'role or disabled is required' }],
      });
    }
    return this.users.update(username, body, admin.username);
  }

  /** Forgets every remembered device of a user (a lost laptop, a suspected stolen cookie); audited. */
  @Delete(':username/devices')
  @ApiNoContent('Forget every remembered device of a user')
  @ApiProblems(404, 503)
  @HttpCode(204)
  async forgetDevices(@Param('username') username: string, @CurrentUser() admin: AuthUser, @Req() req: unknown): Promise<void> {
    const user = await this.users.findByUsername(username);
    if (!user) throw new ProblemException(404, 'Not Found', 'No such user.');
    await this.devices.revokeAll(user, { actor: admin.username, client: clientKeyOf(req), why: `by admin ${admin.username}` });
  }

  @Get(':username/sessions')
  @ApiJson("A user's open sessions, the most recently used first (ids, never tokens)", ['UserSession'])
  @ApiProblems(404, 503)
  listSessions(@Param('username') username: string): Promise<UserSession[]> {
    return this.sessions.list(username);
  }

  /** Ends one session of a user (a lost phone, a session from an unknown place): its tokens are refused at once. Audited. */
  @Delete(':username/sessions/:id')
  @ApiNoContent("End one of a user's sessions")
  @ApiProblems(400, [404, 'No such user, or no such open session'], 503)
  @HttpCode(204)
  async revokeSession(
    @Param('username') username: string,
    @Param('id') id: string,
    @CurrentUser() admin: AuthUser,
    @Req() req: unknown,
  ): Promise<void> {
    await this.sessions.revoke(username, sessionIdFrom(id), admin.username, clientKeyOf(req));
  }

  /**
   * Sets a generated temporary password, shown once in this answer (never logged), to be
   * changed at the next sign-in; the user's sessions and tokens end. Audited.
   */
  @Post(':username/password-reset')
  @ApiJson('Give a user a temporary password, shown once; they must change it at the next sign-in', 'PasswordReset', {
    description: "The temporary password (`Cache-Control: no-store`). The user's sessions ended.",
  })
  @ApiProblems([404, 'No such user.'], [409, 'An admin cannot reset their own password this way.'], 503)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async resetPassword(
    @Param('username') username: string,
    @CurrentUser() admin: AuthUser,
    @Req() req: unknown,
  ): Promise<PasswordResetResponse> {
    const { user, temporaryPassword } = await this.users.resetPassword(username, admin.username, clientKeyOf(req));
    // The old password's remembered devices are no use to the new one: forgotten outright.
    await this.devices.revokeAll(user, { actor: admin.username, client: clientKeyOf(req), why: 'password reset' });
    return { username: user.username, temporary_password: temporaryPassword, must_change_password: true };
  }

  @Delete(':username')
  @ApiNoContent('Delete a user')
  @ApiProblems(404, [409, 'It would leave no enabled admin'], 503)
  @HttpCode(204)
  remove(@Param('username') username: string, @CurrentUser() admin: AuthUser): Promise<void> {
    return this.users.remove(username, admin.username);
  }
}
