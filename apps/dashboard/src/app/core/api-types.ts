import type { paths } from '@bouncer/api-client';

/**
 * The API's paths, bodies and answers as the generated client (libs/api-client, made from the
 * served OpenAPI document by `npm run api:client`) types them. Type-only: nothing of
 * openapi-fetch reaches the bundle. A route renamed or an answer changed on the server makes
 * the dashboard's type check fail where it calls it.
 */
export type ApiPath = keyof paths;
export type ApiMethod = 'get' | 'post' | 'patch' | 'delete';

type Operation<P extends ApiPath, M extends ApiMethod> = NonNullable<paths[P][M]>;

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON of the operation's success answer (200 or 201); `void` for a 204. */
export type ApiAnswer<P extends ApiPath, M extends ApiMethod> =
  Operation<P, M> extends { responses: infer R }
    ? R extends { 200: infer A }
      ? JsonOf<A>
      : R extends { 201: infer A }
        ? JsonOf<A>
        : R extends { 204: unknown }
          ? void
          : never
    : never;

/** The JSON request body the operation takes. */
export type ApiBody<P extends ApiPath, M extends ApiMethod> =
  Operation<P, M> extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never;

/** The query the operation takes: its parameter names are checked; values are URL text. */
export type ApiQuery<P extends ApiPath, M extends ApiMethod> =
  Operation<P, M> extends { parameters: { query?: infer Q } }
    ? Partial<Record<keyof NonNullable<Q>, string | number | boolean | null | undefined>>
    : never;

/** The path parameters (`{username}`) the operation's path template holds. */
export type ApiPathParams<P extends ApiPath, M extends ApiMethod> =
  Operation<P, M> extends { parameters: { path: infer A } } ? { [K in keyof A]: string } : Record<string, never>;

/** Fills a path template (`/admin/users/{username}`) with its parameters, each URL-encoded. */
export function apiUrl<P extends ApiPath, M extends ApiMethod>(path: P, _method: M, params: ApiPathParams<P, M>): string {
  return (path as string).replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent((params as Record<string, string>)[name] ?? ''));
}
