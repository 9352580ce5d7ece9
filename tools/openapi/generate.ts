/**
 * `npm run api:client`: builds the API in process (a throwaway data folder, no port opened),
 * takes its OpenAPI document and writes the typed client's files into libs/api-client/src.
 * `--check` writes nothing and exits 1 when the committed files differ (CI, lint); `--from FILE`
 * takes the document from FILE instead (the completeness test hands over what /docs-json served).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, openApiDocument } from '../../apps/api/src/app.factory';
import { loadConfig } from '../../apps/api/src/config/app-config';
import { clientFiles, DOCUMENT_FILE, SCHEMA_FILE } from './client-files';

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const from = process.argv.indexOf('--from');
  const document = from > 0 ? (JSON.parse(await readFile(process.argv[from + 1] ?? '', 'utf8')) as object) : await buildDocument();
  const { json, ts } = await clientFiles(document);
  const stale: string[] = [];
  for (const [file, text] of [
    [DOCUMENT_FILE, json],
    [SCHEMA_FILE, ts],
  ] as const) {
    const now = await readFile(file, 'utf8').catch(() => '');
    if (now === text) continue;
    stale.push(file);
    if (!check) await writeFile(file, text);
  }
  if (check && stale.length > 0) {
    process.stderr.write(`The typed client is stale (${stale.join(', ')}): run npm run api:client and commit.\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(stale.length === 0 ? 'The typed client is up to date.\n' : `Wrote ${stale.join(', ')}\n`);
  }
}

/** The document of the whole API, built in process on a throwaway data folder (no port opened). */
async function buildDocument(): Promise<object> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bouncer-openapi-'));
  try {
    const app = await createApp(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', HEALING_INTERVAL: '3600' }), {
      print: () => undefined,
      logSink: () => undefined,
    });
    const document = openApiDocument(app);
    await app.close();
    return document;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
