import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@bouncer/contracts';
import { ProblemException } from '../http/problem.exception';
import type { AuthUser } from './current-user.decorator';
import { ROLES_KEY } from './roles.decorator';
import { RouteMetadata } from './route-metadata';

/** Global, after JwtAuthGuard: a route marked @Roles(...) needs one of those roles. */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly roles: RouteMetadata<Role[]>;

  constructor(reflector: Reflector) {
    this.roles = new RouteMetadata(reflector, ROLES_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const roles = this.roles.of(context.getHandler(), context.getClass());
    if (!roles || roles.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user && roles.includes(user.role)) return true;
    throw new ProblemException(403, 'Forbidden', `This action needs the ${roles.join(' or ')} role.`);
  }
}
