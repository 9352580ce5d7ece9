import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`bouncer: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  const scheme = config.tls ? 'https' : 'http';
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const docs = { off: 'API docs off (API_DOCS)', admin: 'API document at /docs-json for admins', public: 'API docs at /docs' }[
    config.apiDocs
  ];
  process.stdout.write(`Bouncer listening on ${scheme}://${host}:${port}/ (dashboard at /, ${docs})\n`);
}

main().catch((err) => {
  process.stderr.write(`bouncer: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
