import { basename, dirname } from 'node:path';
import fastifyCompress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** A hashed file's name never serves other content: browsers and proxies may keep it a year. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and anything else unhashed) is checked with the server on every use. */
export const REVALIDATE = 'no-cache';

/**
 * Angular's production build names files `name-HASH.ext` (outputHashing: all): 8+ upper-case
 * letters and digits. The path may be the precompressed copy's (`.br`, `.gz`).
 */
const HASHED = /-[A-Z0-9]{8,}\.[a-z0-9]+(\.br|\.gz)?$/;

export function cacheControlFor(path: string): string {
  return HASHED.test(basename(path)) ? IMMUTABLE : REVALIDATE;
}

/** Answers smaller than this go out as they are: compressing them costs more than it saves. */
export const COMPRESS_THRESHOLD_BYTES = 1024;

/**
 * JSON (and other compressible) answers over 1 KB are compressed when the client accepts it
 * (brotli at quality 4, gzip or deflate). Small answers, the hot path, only pay a length check.
 */
export async function registerCompression(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyCompress, { threshold: COMPRESS_THRESHOLD_BYTES, encodings: ['br', 'gzip', 'deflate'] });
}

/**
 * The built dashboard: every file is a route of its own (no wildcard), sent precompressed when
 * the build left a .br or .gz copy beside it (tools/build/precompress.mjs) and the client
 * accepts it; hashed names are cached for a year, index.html revalidated.
 */
export async function registerDashboardFiles(app: NestFastifyApplication, indexFile: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: dirname(indexFile),
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    preCompressed: true,
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', cacheControlFor(path));
    },
  });
}
