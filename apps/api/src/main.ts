import { createServer } from 'node:net';
import { appLogger, createApp } from './app.factory';
import { type AppConfig, ConfigError, loadConfig } from './config/app-config';
import { gracefulShutdown } from './health/graceful-shutdown';
import { REDIS, type RedisHandle } from './core/redis';
import { assertDataDirFree, DataDirBusyError } from './db/data-dir-lock';
import { DATABASE, type DatabaseHandle } from './db/database';
import { DETECTION_ENGINE } from './detection/engine.provider';
import type { DetectionEngine } from '@bouncer/detection';
import { VERSION } from './version';
import { collectStartupGarbage, scheduleQuietCollection } from './core/startup-memory';

/** A start that cannot succeed: one line on stderr (a supervisor shows it), no stack. */
function refuse(message: string): never {
  process.stderr.write(`bouncer: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) refuse(err.message);
    throw err;
  }
  // Checked before Nest starts, so a second process says only this (Nest would log the error
  // again with its stack); the lock itself is taken when the store is opened.
  if (!config.databaseUrl) assertDataDirFree(config.dataDir);
  // A port already taken is found out now, before the data folder, the database or the admin
  // exist, not after seconds of start-up work.
  await assertPortFree(config);
  const app = await createApp(config);
  collectStartupGarbage();
  await app.listen({ port: config.port, host: config.host });
  scheduleQuietCollection();
  gracefulShutdown(app, config.shutdown, (line) => process.stdout.write(line + '\n'));
  const scheme = config.tls ? 'https' : 'http';
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const listening = `${scheme}://${host}:${port}/`;
  const rules = app.get<DetectionEngine>(DETECTION_ENGINE).rules.rules;
  const redis = app.get<RedisHandle | null>(REDIS);
  // One line that says what this process is and what it enforces: the first thing to read at 3 a.m.
  appLogger(app).info(
    {
      event: 'startup',
      version: VERSION,
      node: process.version,
      listening,
      data_dir: config.dataDir,
      stores: { database: app.get<DatabaseHandle>(DATABASE).kind, counters: redis ? 'redis' : 'memory' },
      rules: rules.filter((r) => r.enabled && r.mode === 'enforce').map((r) => r.id),
      rules_observed: rules.filter((r) => r.enabled && r.mode === 'observe').map((r) => r.id),
      rules_off: rules.filter((r) => !r.enabled).map((r) => r.id),
      api_docs: config.apiDocs,
      log_level: config.logLevel,
    },
    `Bouncer ${VERSION} listening on ${listening} (dashboard at /)`,
  );
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
  if (err instanceof DataDirBusyError) refuse(err.message);
  refuse(`failed to start: ${err instanceof Error ? err.message : String(err)}`);
});
