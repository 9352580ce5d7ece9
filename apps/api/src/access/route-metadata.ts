import type { Type } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

/**
 * A route's decorator metadata (handler over class, as Reflector.getAllAndOverride reads it),
 * read once per route: decorators are fixed when the app starts, and the global guards ask on
 * every request (reflect-metadata's lookups were about a microsecond of each).
 */
export class RouteMetadata<T> {
  private readonly byClass = new WeakMap<Type, WeakMap<object, T | undefined>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly key: string,
  ) {}

  of(handler: object, cls: Type): T | undefined {
    let handlers = this.byClass.get(cls);
    if (!handlers) this.byClass.set(cls, (handlers = new WeakMap()));
    if (handlers.has(handler)) return handlers.get(handler);
    const value = this.reflector.getAllAndOverride<T | undefined>(this.key, [handler as never, cls]);
    handlers.set(handler, value);
    return value;
  }
}
