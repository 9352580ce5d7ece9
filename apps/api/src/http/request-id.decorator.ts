import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/**
 * The id of the request being served (Fastify's, echoed as X-Request-Id), for what a handler
 * hands on to be logged with it: a decision its call causes names the request in its log line.
 * Passed explicitly rather than kept in an AsyncLocalStorage, whose hooks cost every promise of
 * every request.
 */
export const RequestId = createParamDecorator((_: unknown, ctx: ExecutionContext): string | undefined =>
  requestIdOf(ctx.switchToHttp().getRequest()),
);

/** The request id of a Fastify request (or of anything carrying an `id`), if any. */
export function requestIdOf(req: unknown): string | undefined {
  const id = (req as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}
