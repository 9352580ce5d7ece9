import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { API_SCHEMAS } from '@bouncer/contracts/schemas';

/**
 * The OpenAPI document of an app: what @nestjs/swagger reads from the controllers' decorators,
 * plus the response schemas of @bouncer/contracts/schemas (zod, turned into OpenAPI 3.0
 * schemas here) and the OAuth2 password flow of POST /token. Built without a server listening:
 * tools/openapi/generate.ts writes it to libs/api-client for the typed client.
 */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Bouncer API')
      .setDescription(
        'Authentication, anomaly detection and the admin API. Every error is `application/problem+json` (RFC 9457); ' +
          'a blocked client gets 403 with Retry-After on any route but the probes.',
      )
      .setVersion(version)
      .addBearerAuth()
      .addOAuth2({ type: 'oauth2', flows: { password: { tokenUrl: '/token', refreshUrl: '/token', scopes: {} } } }, 'oauth2')
      .build(),
  );
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, ...contractSchemas() } };
  // A bearer token from the OAuth2 password flow is the same token: either scheme satisfies.
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item) as { security?: Record<string, string[]>[] }[]) {
      if (op?.security?.some((s) => 'bearer' in s)) op.security = [{ bearer: [] }, { oauth2: [] }];
    }
  }
  return doc;
}

/** API_SCHEMAS as OpenAPI 3.0 component schemas, referring to each other by `#/components/schemas/<name>`. */
export function contractSchemas(): Record<string, Record<string, unknown>> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(API_SCHEMAS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'openapi-3.0',
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  });
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, tidy(s) as Record<string, unknown>]));
}

/** Drops what OpenAPI 3.0 has no use for: `$id`, and the ±2^53 bounds zod gives every integer. */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$id' || k === '$schema') continue;
    if ((k === 'minimum' || k === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    out[k] = tidy(v);
  }
  return out;
}
