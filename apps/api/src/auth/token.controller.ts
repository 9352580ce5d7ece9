import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { TokenResponse, ValidateTokenResponse } from '@bouncer/contracts';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { AllowedBeforePasswordChange } from '../access/password-change.decorator';
import { Public } from '../access/public.decorator';
import { AuthRouteThrottle, clientKeyOf } from '../detection';
import { ProblemException } from '../http/problem.exception';
import { TokenRequestDto } from './auth.dto';
import { AuthService, type IssuedSession } from './auth.service';
import { NoCrossSiteGuard } from './same-origin.guard';
import { ApiJson, ApiNoContent, ApiProblems, WRONG_PASSWORD } from '../openapi/api-docs.decorators';
import { requestIdOf } from '../http/request-id.decorator';

/**
 * API clients: the OAuth2 token endpoint and bearer-token checks. Forms and JSON; no page of
 * another site (class level: refused before the sign-in throttle counts it).
 */
@ApiTags('auth')
@UseGuards(NoCrossSiteGuard)
@Controller()
export class TokenController {
  constructor(private readonly auth: AuthService) {}

  /** OAuth2 token endpoint (the original's): password grant, or refresh_token grant that rotates. */
  @Public()
  @AuthRouteThrottle()
  @Post('token')
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({
    type: TokenRequestDto,
    description: 'grant_type=password (the default) needs username and password; grant_type=refresh_token needs refresh_token.',
  })
  @ApiJson('OAuth2 token endpoint: password grant, or refresh_token grant (rotates the refresh token)', 'TokenResponse', {
    rateLimited: true,
  })
  @ApiProblems(400, [401, WRONG_PASSWORD], 403, 413, 415, 429, 503)
  @HttpCode(200)
  async token(@Body() body: TokenRequestDto, @Req() req: FastifyRequest): Promise<TokenResponse> {
    const grant = body.grant_type ?? 'password';
    let session: IssuedSession;
    if (grant === 'refresh_token') {
      if (!body.refresh_token) throw missingField('refresh_token');
      session = await this.auth.refresh(body.refresh_token, clientKeyOf(req), requestIdOf(req));
    } else {
      if (!body.username) throw missingField('username');
      if (!body.password) throw missingField('password');
      session = await this.auth.login({
        username: body.username,
        password: body.password,
        client: clientKeyOf(req),
        userAgent: req.headers['user-agent'] ?? null,
        requestId: requestIdOf(req),
      });
    }
    return {
      access_token: session.accessToken,
      token_type: 'bearer',
      expires_in: session.expiresIn,
      refresh_token: session.refreshToken,
      must_change_password: session.mustChangePassword,
    };
  }

  @ApiBearerAuth()
  @Get('validate-token')
  @ApiJson('Check a bearer token and say whose it is', 'ValidateTokenResponse')
  @ApiProblems(401, 403)
  validate(@CurrentUser() user: AuthUser): ValidateTokenResponse {
    return { valid: true, username: user.username, role: user.role };
  }

  /** Revokes this access token (by jti, until it expires) and its refresh family. */
  @ApiBearerAuth()
  @AllowedBeforePasswordChange()
  @Post('logout')
  @ApiNoContent('Revoke this access token and its refresh family')
  @ApiProblems(401, 403, 503)
  @HttpCode(204)
  async logout(@CurrentUser() user: AuthUser, @Req() req: FastifyRequest): Promise<void> {
    await this.auth.logout(user, clientKeyOf(req));
  }
}

function missingField(field: string): ProblemException {
  return new ProblemException(400, 'Bad Request', `${field} is required.`, { errors: [{ field, message: 'is required' }] });
}
