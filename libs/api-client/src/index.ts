/**
 * The typed client of the Bouncer API: openapi-fetch over the types openapi-typescript made
 * from the API's OpenAPI document (schema.ts; `npm run api:client` regenerates it). Framework-free
 * and fetch-based: the command line uses it, and so can the dashboard or any script.
 *
 *   const api = createBouncerClient('https://bouncer.example', { token: () => session.token });
 *   const { data, error, response } = await api.GET('/admin/decisions', { params: { query: { state: 'blocked' } } });
 *   // data: the DecisionPage of @bouncer/contracts; error: its problem+json (401, 403, 429, ...)
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, operations, paths } from './schema';

export type BouncerClient = Client<paths>;

/** Every error body of the API (RFC 9457). */
export type Problem = components['schemas']['Problem'];

export interface BouncerClientOptions {
  /** The bearer token, or a function read on every request (a token that is refreshed). */
  token?: string | (() => string | null | undefined);
  /** Another fetch (tests, a proxy agent, a timeout wrapper). */
  fetch?: (input: Request) => Promise<Response>;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

export function createBouncerClient(baseUrl: string, options: BouncerClientOptions = {}): BouncerClient {
  const client = createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const { token } = options;
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        const value = typeof token === 'function' ? token() : token;
        if (value) request.headers.set('authorization', `Bearer ${value}`);
        return request;
      },
    });
  }
  return client;
}
