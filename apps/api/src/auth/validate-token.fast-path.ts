import { type ExecutionContext, ForbiddenException, type Type } from '@nestjs/common';
import { GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { AuthUser } from '../access/current-user.decorator';
import { JwtAuthGuard } from '../access/jwt-auth.guard';
import { RolesGuard } from '../access/roles.guard';
import { PublicOrigin } from '../http/public-origin';
import { NoCrossSiteGuard } from './same-origin.guard';
import { TokenController } from './token.controller';

/** The one route answered here: a token-protected GET every API client calls per request. */
const PATH = '/validate-token';

/**
 * `GET /validate-token` without Nest's per-route pipeline. The same guards run, in Nest's order
 * (the global JwtAuthGuard and RolesGuard, then the controller's NoCrossSiteGuard), on the same
 * execution context, and a refusal they throw is answered by the same exception filter (Nest's
 * Fastify error handler); what is skipped is the router's machinery around them: the guards
 * consumer, the parameter resolution and pipes, the interceptor chain and the reply adapter,
 * together about a fifth of a request's CPU on this route (README, Performance). The client gate
 * (onRequest) and the answer headers (onSend) are Fastify hooks and run as on every route.
 *
 * The route's Nest declaration stays (OpenAPI document, the handler as the reference). If that
 * declaration gains a guard, pipe or interceptor, or a parameter other than @CurrentUser, start-up
 * stops here rather than answering without it.
 */
export function installValidateTokenFastPath(app: NestFastifyApplication): void {
  assertRouteDeclaresOnly(TokenController, 'validate', [NoCrossSiteGuard]);
  const reflector = app.get(Reflector);
  // These three answer true or throw; a false is answered as Nest answers it (403).
  const guards: Guard[] = [
    new JwtAuthGuard(reflector, app.get(ModuleRef)),
    new RolesGuard(reflector),
    new NoCrossSiteGuard(app.get(PublicOrigin, { strict: false })),
  ];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the function is the decorators' metadata key, never called unbound
  const handler = TokenController.prototype.validate;

  // Synchronous while every guard answers at once (the embedded store): no promise, no turn of
  // the event loop between the request and its answer. A throw is Fastify's to answer, as a rejection is.
  const answer = (req: FastifyRequest, reply: FastifyReply): undefined | Promise<void> => {
    const context = httpContext(req, reply, TokenController, handler);
    return passGuards(guards, context, 0, () => {
      reply.send(TokenController.prototype.validate((req as FastifyRequest & { user: AuthUser }).user));
    });
  };

  // Added to the route when Nest declares it (app.init), so no other route pays a check.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route: RouteOptions) => {
      if (route.url !== PATH || (route.method !== 'GET' && !(Array.isArray(route.method) && route.method.includes('GET')))) return;
      // This function becomes the route's handler in place of Nest's router proxy.
      route.handler = answer;
    });
}

type Guard = { canActivate(context: ExecutionContext): boolean | Promise<boolean> };

/** Runs guards[from..] in order, waiting only for one that answers with a promise; then `pass`. */
function passGuards(guards: readonly Guard[], context: ExecutionContext, from: number, pass: () => void): undefined | Promise<void> {
  for (let i = from; i < guards.length; i++) {
    const ok = guards[i]!.canActivate(context);
    if (ok instanceof Promise)
      return ok.then((yes) => {
        if (!yes) throw new ForbiddenException('Forbidden resource');
        return passGuards(guards, context, i + 1, pass);
      });
    if (!ok) throw new ForbiddenException('Forbidden resource');
  }
  pass();
  return undefined;
}

/**
 * The ExecutionContext Nest gives guards on an HTTP route (its public interface: class, handler,
 * request and reply), built here so the guards run unchanged without Nest's router. A class, not
 * an object of closures: one small object per request instead of a dozen.
 */
class HttpContext {
  constructor(
    private readonly req: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly cls: Type,
    private readonly handler: (...args: never[]) => unknown,
  ) {}
  getClass(): Type {
    return this.cls;
  }
  getHandler(): (...args: never[]) => unknown {
    return this.handler;
  }
  getArgs(): unknown[] {
    return [this.req, this.reply];
  }
  getArgByIndex(i: number): unknown {
    return i === 0 ? this.req : i === 1 ? this.reply : undefined;
  }
  getType(): string {
    return 'http';
  }
  /** The HTTP view is this object too (getRequest, getResponse, getNext). */
  switchToHttp(): this {
    return this;
  }
  getRequest(): FastifyRequest {
    return this.req;
  }
  getResponse(): FastifyReply {
    return this.reply;
  }
  getNext(): undefined {
    return undefined;
  }
  switchToRpc(): never {
    throw new Error('validate-token fast path: an HTTP route has no RPC context');
  }
  switchToWs(): never {
    throw new Error('validate-token fast path: an HTTP route has no WebSocket context');
  }
}

function httpContext(req: FastifyRequest, reply: FastifyReply, cls: Type, handler: (...args: never[]) => unknown): ExecutionContext {
  return new HttpContext(req, reply, cls, handler) as unknown as ExecutionContext;
}

/**
 * Throws unless `controller.method` declares exactly `guards` (class and method), no pipes or
 * interceptors, and one parameter: what the fast path runs must be all the route asks for.
 */
export function assertRouteDeclaresOnly(controller: Type, method: string, guards: readonly Type[]): void {
  const handler = (controller.prototype as Record<string, unknown>)[method] as object;
  const declared: unknown[] = [
    ...((Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[] | undefined) ?? []),
    ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? []),
  ];
  const has = (key: string) => Boolean(Reflect.getMetadata(key, controller) || Reflect.getMetadata(key, handler));
  const extras = [
    declared.length !== guards.length || declared.some((g, i) => g !== guards[i]) ? 'guards' : '',
    has(INTERCEPTORS_METADATA) ? 'interceptors' : '',
    has(PIPES_METADATA) ? 'pipes' : '',
    Object.keys((Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) as object | undefined) ?? {}).length !== 1
      ? 'parameters'
      : '',
  ].filter(Boolean);
  if (extras.length > 0) {
    throw new Error(
      `${controller.name}.${method} changed (${extras.join(', ')}): update auth/validate-token.fast-path.ts to run what the route declares`,
    );
  }
}
