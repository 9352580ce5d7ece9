import { Body, Controller, Delete, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionResponse } from '@bouncer/contracts';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { AllowedBeforePasswordChange } from '../access/password-change.decorator';
import { Public } from '../access/public.decorator';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AuthRouteThrottle, clientKeyOf } from '../detection';
import { ProblemException } from '../http/problem.exception';
import { PublicOrigin } from '../http/public-origin';
import { LoginDto } from './auth.dto';
import { AuthService, type IssuedSession } from './auth.service';
import { DEVICE_COOKIE } from './device-cookie.service';
import { SameOriginGuard } from './same-origin.guard';
import { clearSessionCookie, readCookie, REFRESH_COOKIE, setSessionCookies } from './session-cookie';
import { ApiJson, ApiNoContent, ApiProblems, WRONG_PASSWORD } from '../openapi/api-docs.decorators';
import { requestIdOf } from '../http/request-id.decorator';

/**
 * Browser sessions: the refresh token lives in an httpOnly cookie, never within script reach.
 * Same-origin JSON requests only (class-level guard: it runs before the sign-in throttle).
 */
@ApiTags('auth')
@UseGuards(SameOriginGuard)
@Controller('session')
export class SessionController {
  constructor(
    private readonly auth: AuthService,
    private readonly origin: PublicOrigin,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Browser sign-in. */
  @Public()
  @AuthRouteThrottle()
  @Post()
  @ApiJson('Browser sign-in: the access token in the body, the refresh token in an httpOnly cookie', 'SessionResponse', {
    rateLimited: true,
    headers: {
      'Set-Cookie': { description: 'The httpOnly refresh-token cookie (and the remembered-device cookie).', schema: { type: 'string' } },
    },
  })
  @ApiProblems(400, [401, WRONG_PASSWORD], [403, 'Not same-origin, or this client is blocked'], 413, 415, 429, 503)
  @HttpCode(200)
  async session(
    @Body() body: LoginDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse> {
    const https = this.origin.isHttps(req.raw);
    const session = await this.auth.login({
      username: body.username,
      password: body.password,
      client: clientKeyOf(req),
      userAgent: req.headers['user-agent'] ?? null,
      deviceCookie: readCookie(req, DEVICE_COOKIE, https),
      browser: true,
      requestId: req.id,
    });
    setSessionCookies(reply, session, this.config, https);
    return toSessionResponse(session);
  }

  @Public()
  @AuthRouteThrottle()
  @Post('refresh')
  @ApiJson('Browser refresh: a new access token from the session cookie (rotated)', 'SessionResponse', {
    rateLimited: true,
    headers: {
      'Set-Cookie': { description: 'The httpOnly refresh-token cookie (and the remembered-device cookie).', schema: { type: 'string' } },
    },
  })
  @ApiProblems(401, [403, 'Not same-origin, or this client is blocked'], 415, 429, 503)
  @HttpCode(200)
  async refreshSession(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const https = this.origin.isHttps(req.raw);
    const token = readCookie(req, REFRESH_COOKIE, https);
    if (!token) throw new ProblemException(401, 'Unauthorized', 'No session cookie.');
    try {
      const session = await this.auth.refresh(token, clientKeyOf(req), requestIdOf(req));
      setSessionCookies(reply, session, this.config, https);
      return toSessionResponse(session);
    } catch (err) {
      clearSessionCookie(reply, https);
      throw err;
    }
  }

  /** Browser sign-out: revokes this access token and its session, clears the cookie. */
  @ApiBearerAuth()
  @AllowedBeforePasswordChange()
  @Delete()
  @ApiNoContent('Browser sign-out: revoke this token and session, clear the cookie')
  @ApiProblems(401, 403, 503)
  @HttpCode(204)
  async endSession(
    @CurrentUser() user: AuthUser,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.logout(user, clientKeyOf(req));
    clearSessionCookie(reply, this.origin.isHttps(req.raw));
  }
}

function toSessionResponse(s: IssuedSession): SessionResponse {
  return {
    access_token: s.accessToken,
    token_type: 'bearer',
    expires_in: s.expiresIn,
    username: s.username,
    role: s.role,
    must_change_password: s.mustChangePassword,
  };
}
