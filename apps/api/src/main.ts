import { createServer } from 'node:net';
import { createApp } from './app.factory';
import { type AppConfig, ConfigError, loadConfig } from './config/app-config';
import { gracefulShutdown } from './health/graceful-shutdown';

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
  // A port already taken is found out now, before the data folder, the database or the admin
  // exist, not after seconds of start-up work.
  await assertPortFree(config);
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  gracefulShutdown(app, config.shutdown, (line) => process.stdout.write(line + '\n'));
  const scheme = config.tls ? 'https' : 'http';
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const docs = { off: 'API docs off (API_DOCS)', admin: 'API document at /docs-json for admins', public: 'API docs at /docs' }[
    config.apiDocs
  ];
  process.stdout.write(`Bouncer listening on ${scheme}://${host}:${port}/ (dashboard at /, ${docs})\n`);
}

function assertPortFree(config: AppConfig): Promise<void> {
  if (config.port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `${config.host}:${config.port} is already in use (another Bouncer or another program); stop it or set PORT`
            : `cannot listen on ${config.host}:${config.port}: ${err.message}`,
        ),
      ),
    );
    probe.listen({ port: config.port, host: config.host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

main().catch((err) => {
  process.stderr.write(`bouncer: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
