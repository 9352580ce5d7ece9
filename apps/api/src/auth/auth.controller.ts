import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MeResponse, SessionResponse, TokenResponse, ValidateTokenResponse } from '@bouncer/contracts';
import { ProblemException } from '../http/problem.exception';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AuthRouteThrottle, clientKeyOf } from '../detection';
import { UsersService } from '../users/users.service';
import { AuthService, type IssuedSession } from './auth.service';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { Public } from '../access/public.decorator';
import { DEVICE_COOKIE } from './device-cookie.service';
import { ChangePasswordDto, LoginDto, TokenRequestDto } from './auth.dto';
import { Inject } from '@nestjs/common';
import { SigningKeysService } from './signing-keys.service';

export const REFRESH_COOKIE = 'bn_refresh';
const SESSION_PATH = '/session';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly keys: SigningKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** OAuth2 token endpoint (the original's): password grant, or refresh_token grant that rotates. */
  @Public()
  @AuthRouteThrottle()
  @Post('token')
  @HttpCode(200)
  async token(@Body() body: TokenRequestDto, @Req() req: FastifyRequest): Promise<TokenResponse> {
    const grant = body.grant_type ?? 'password';
    let session: IssuedSession;
    if (grant === 'refresh_token') {
      if (!body.refresh_token) throw missingField('refresh_token');
      session = await this.auth.refresh(body.refresh_token, clientKeyOf(req));
    } else {
      if (!body.username) throw missingField('username');
      if (!body.password) throw missingField('password');
      session = await this.auth.login({
        username: body.username,
        password: body.password,
        client: clientKeyOf(req),
        userAgent: req.headers['user-agent'] ?? null,
      });
    }
    return { access_token: session.accessToken, token_type: 'bearer', expires_in: session.expiresIn, refresh_token: session.refreshToken };
  }

  /** Browser sign-in: the refresh token goes into an httpOnly cookie, never into script reach. */
  @Public()
  @AuthRouteThrottle()
  @Post('session')
  @HttpCode(200)
  async session(@Body() body: LoginDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const session = await this.auth.login({
      username: body.username,
      password: body.password,
      client: clientKeyOf(req),
      userAgent: req.headers['user-agent'] ?? null,
      deviceCookie: req.cookies?.[DEVICE_COOKIE],
    });
    this.setSessionCookies(reply, session);
    return toSessionResponse(session);
  }

  @Public()
  @AuthRouteThrottle()
  @Post('session/refresh')
  @HttpCode(200)
  async refreshSession(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const token = req.cookies?.[REFRESH_COOKIE];
    if (!token) throw new ProblemException(401, 'Unauthorized', 'No session cookie.');
    try {
      const session = await this.auth.refresh(token, clientKeyOf(req));
      this.setSessionCookies(reply, session);
      return toSessionResponse(session);
    } catch (err) {
      reply.clearCookie(REFRESH_COOKIE, { path: SESSION_PATH });
      throw err;
    }
  }

  /** Browser sign-out: revokes this access token and its session, clears the cookie. */
  @ApiBearerAuth()
  @Delete('session')
  @HttpCode(204)
  async endSession(@CurrentUser() user: AuthUser, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.logout(user, clientKeyOf(req));
    reply.clearCookie(REFRESH_COOKIE, { path: SESSION_PATH });
  }

  @ApiBearerAuth()
  @Get('validate-token')
  validate(@CurrentUser() user: AuthUser): ValidateTokenResponse {
    return { valid: true, username: user.username, role: user.role };
  }

  /** Revokes this access token (by jti, until it expires) and its refresh family. */
  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentUser() user: AuthUser, @Req() req: FastifyRequest): Promise<void> {
    await this.auth.logout(user, clientKeyOf(req));
  }

  @ApiBearerAuth()
  @Get('me')
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
  @ApiBearerAuth()
  @AuthRouteThrottle()
  @Post('me/password')
  @HttpCode(204)
  async changePassword(@CurrentUser() user: AuthUser, @Body() body: ChangePasswordDto): Promise<void> {
    await this.users.changePassword(user.username, body.current_password, body.new_password, user.sid);
  }

  @ApiBearerAuth()
  @Post('me/logout-everywhere')
  @HttpCode(204)
  async logoutEverywhere(@CurrentUser() user: AuthUser, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.logoutEverywhere(user, clientKeyOf(req));
    reply.clearCookie(REFRESH_COOKIE, { path: SESSION_PATH });
  }

  /** Public keys that verify Bouncer's access tokens. */
  @Public()
  @Get('.well-known/jwks.json')
  jwks() {
    return this.keys.jwks();
  }

  private setSessionCookies(reply: FastifyReply, session: IssuedSession): void {
    const secure = Boolean(this.config.tls);
    reply.setCookie(REFRESH_COOKIE, session.refreshToken, {
      httpOnly: true,
      sameSite: 'strict',
      secure,
      path: SESSION_PATH,
      maxAge: this.config.refreshTokenTtlSeconds,
    });
    reply.setCookie(DEVICE_COOKIE, this.auth.deviceCookieFor(session.username), {
      httpOnly: true,
      sameSite: 'strict',
      secure,
      path: SESSION_PATH,
      maxAge: 365 * 24 * 3600,
    });
  }
}

function toSessionResponse(s: IssuedSession): SessionResponse {
  return { access_token: s.accessToken, token_type: 'bearer', expires_in: s.expiresIn, username: s.username, role: s.role };
}

function missingField(field: string): ProblemException {
  return new ProblemException(400, 'Bad Request', `${field} is required.`, { errors: [{ field, message: 'is required' }] });
}
