// Writes a brotli (.br) and a gzip (.gz) copy next to every compressible file of a built web
// app, at the highest levels (done once at build time, so the server never compresses a static
// file per request). A copy that would not be smaller is not written.
//   node tools/build/precompress.mjs dist/apps/dashboard/browser
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|map|ico|webmanifest|xml)$/;
/** Below this a compressed copy saves less than its extra round of headers costs. */
const MIN_BYTES = 512;

export function precompress(dir) {
  let written = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      written += precompress(path);
      continue;
    }
    if (!COMPRESSIBLE.test(name)) continue;
    const raw = readFileSync(path);
    for (const [ext, zip] of [
      [
        '.br',
        () => brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
      ],
      ['.gz', () => gzipSync(raw, { level: 9 })],
    ]) {
      const out = raw.length >= MIN_BYTES ? zip() : null;
      if (out && out.length < raw.length) {
        writeFileSync(path + ext, out);
        written++;
      } else {
        try {
          unlinkSync(path + ext); // a stale copy from an earlier build must not be served
        } catch {
          // none there
        }
      }
    }
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node tools/build/precompress.mjs DIR');
    process.exit(2);
  }
  console.log(`precompressed ${precompress(dir)} files in ${dir}`);
}
