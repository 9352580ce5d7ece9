import { Controller, Get, UseGuards, UseInterceptors, type CallHandler, type NestInterceptor } from '@nestjs/common';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { NoCrossSiteGuard } from './same-origin.guard';
import { TokenController } from './token.controller';
import { assertRouteDeclaresOnly } from './validate-token.fast-path';

class PassThrough implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler) {
    return next.handle();
  }
}

@UseGuards(NoCrossSiteGuard)
@Controller()
class WithInterceptor {
  @UseInterceptors(PassThrough)
  @Get('validate-token')
  validate(@CurrentUser() user: AuthUser) {
    return user.username;
  }
}

@Controller()
class WithoutGuard {
  @Get('validate-token')
  validate(@CurrentUser() user: AuthUser) {
    return user.username;
  }
}

describe('the GET /validate-token fast path', () => {
  it('accepts the route as declared today: the cross-site guard, one @CurrentUser parameter', () => {
    expect(() => assertRouteDeclaresOnly(TokenController, 'validate', [NoCrossSiteGuard])).not.toThrow();
  });

  it('stops the start when the route gains what the fast path would skip', () => {
    expect(() => assertRouteDeclaresOnly(WithInterceptor, 'validate', [NoCrossSiteGuard])).toThrow(/interceptors/);
    expect(() => assertRouteDeclaresOnly(WithoutGuard, 'validate', [NoCrossSiteGuard])).toThrow(/guards/);
  });
});
