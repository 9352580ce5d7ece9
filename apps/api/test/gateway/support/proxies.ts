import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventually, freePort, http } from '@bouncer/testing';

const root = resolve(__dirname, '../../../../..');

/** A proxy program the test started, in front of the test upstream. */
export interface RunningProxy {
  url: string;
  port: number;
  /** What the program wrote (nginx: its error log is a file; this is stdout/stderr). */
  output: string[];
  stop(): Promise<void>;
}

export interface ProxyTargets {
  /** Bouncer's host:port. */
  bouncer: string;
  /** The upstream's host:port. */
  upstream: string;
  /** Bouncer's GATEWAY_LOG_LISTEN host:port (UDP). */
  bouncerLog: string;
  /** A fresh directory for the program's files. */
  dir: string;
}

/** How long the proxies wait for the test upstream's answer before their 504 (the slow-upstream scenario). */
export const UPSTREAM_TIMEOUT = '1s';

/** nginx (Debian) with tools/nginx/forward-auth.conf, fields filled in. */
export async function startNginx(t: ProxyTargets): Promise<RunningProxy> {
  const port = await freePort();
  const tmp = join(t.dir, 'nginx');
  mkdirSync(tmp, { recursive: true });
  const fields: Record<string, string> = {
    PID_FILE: join(tmp, 'nginx.pid'),
    ERROR_LOG: join(tmp, 'error.log'),
    TMP_DIR: tmp,
    PORT: String(port),
    BOUNCER: t.bouncer,
    UPSTREAM: t.upstream,
    BOUNCER_LOG: t.bouncerLog,
    UPSTREAM_TIMEOUT: UPSTREAM_TIMEOUT,
  };
  let conf = readFileSync(join(root, 'tools/nginx/forward-auth.conf'), 'utf8');
  for (const [k, v] of Object.entries(fields)) conf = conf.split(`{{${k}}}`).join(v);
  const file = join(tmp, 'nginx.conf');
  writeFileSync(file, conf);
  return launch('nginx', ['-e', join(tmp, 'error.log'), '-c', file, '-g', 'daemon off;'], {}, port, () =>
    readFileSync(join(tmp, 'error.log'), 'utf8'),
  );
}

/** Caddy (Debian 2.6) with tools/caddy/Caddyfile, its {$…} fields from the environment. */
export async function startCaddy(t: ProxyTargets): Promise<RunningProxy> {
  const port = await freePort();
  const home = join(t.dir, 'caddy');
  mkdirSync(home, { recursive: true });
  const env = {
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    CADDY_LISTEN: `127.0.0.1:${port}`,
    CADDY_BIND: '127.0.0.1',
    BOUNCER: t.bouncer,
    UPSTREAM: t.upstream,
    BOUNCER_LOG: t.bouncerLog,
    UPSTREAM_TIMEOUT: UPSTREAM_TIMEOUT,
  };
  return launch('caddy', ['run', '--config', join(root, 'tools/caddy/Caddyfile'), '--adapter', 'caddyfile'], env, port, () => '');
}

async function launch(cmd: string, args: string[], env: Record<string, string>, port: number, log: () => string): Promise<RunningProxy> {
  const output: string[] = [];
  const child: ChildProcess = spawn(cmd, args, {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => output.push(String(d)));
  child.stderr?.on('data', (d) => output.push(String(d)));
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((done) => {
      if (exited) return done();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.kill('SIGTERM');
    });
  try {
    await eventually(
      async () => {
        if (exited) throw new Error(`${cmd} exited: ${output.join('')} ${safe(log)}`);
        // Any answer will do: the port is open and the program serves.
        return (await http(url, '/_proxy_up_probe', { from: '127.0.0.250' })).status > 0;
      },
      `${cmd} on ${url}`,
      20_000,
      100,
    );
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return { url, port, output, stop };
}

function safe(f: () => string): string {
  try {
    return f();
  } catch {
    return '';
  }
}
