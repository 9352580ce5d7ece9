import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { http } from './http';

const root = resolve(__dirname, '../../../..');
const mainJs = join(root, 'dist/apps/api/main.js');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface Instance {
  port: number;
  url: string;
  process: ChildProcess;
  log: string[];
}

/**
 * N built API processes sharing one PostgreSQL database, one Redis and one signing key,
 * fronted by nginx (from Debian) with the repository's config template.
 */
export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'bouncer-cluster-'));
  readonly adminPassword = `Adm-${randomBytes(12).toString('base64url')}`;
  readonly instances: Instance[] = [];
  nginxPort = 0;
  private nginx?: ChildProcess;
  private readonly keyFile = join(this.dir, 'jwt.pem');

  constructor(private readonly env: Record<string, string>) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(this.keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }

  get url(): string {
    return `http://127.0.0.1:${this.nginxPort}`;
  }

  async startInstance(index: number, port?: number): Promise<Instance> {
    const p = port ?? (await freePort());
    const log: string[] = [];
    const child = spawn(process.execPath, [mainJs], {
      env: {
        ...process.env,
        PORT: String(p),
        HOST: '127.0.0.1',
        DATA_DIR: join(this.dir, `instance-${index}`),
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD: this.adminPassword,
        JWT_PRIVATE_KEY_FILE: this.keyFile,
        TRUSTED_PROXIES: '127.0.0.1/32',
        LOG_LEVEL: 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => log.push(String(d)));
    child.stderr?.on('data', (d) => log.push(String(d)));
    const inst = { port: p, url: `http://127.0.0.1:${p}`, process: child, log };
    this.instances[index] = inst;
    await waitFor(async () => (await http(inst.url, '/health')).status === 200, `instance ${index}: ${log.join('')}`);
    return inst;
  }

  async stopInstance(index: number): Promise<void> {
    const inst = this.instances[index];
    if (!inst || inst.process.exitCode !== null) return;
    const exited = new Promise((r) => inst.process.once('exit', r));
    inst.process.kill('SIGTERM');
    await exited;
  }

  async startNginx(): Promise<void> {
    this.nginxPort = await freePort();
    const tmp = join(this.dir, 'nginx');
    mkdirSync(tmp, { recursive: true });
    const conf = readFileSync(join(root, 'tools/nginx/bouncer.conf.template'), 'utf8')
      .split('{{PID_FILE}}').join(join(tmp, 'nginx.pid'))
      .split('{{ERROR_LOG}}').join(join(tmp, 'error.log'))
      .split('{{TMP_DIR}}').join(tmp)
      .split('{{PORT}}').join(String(this.nginxPort))
      .split('{{UPSTREAMS}}').join(this.instances.map((i) => `    server 127.0.0.1:${i.port} max_fails=1 fail_timeout=2s;`).join('\n'));
    const file = join(tmp, 'nginx.conf');
    writeFileSync(file, conf);
    this.nginx = spawn('nginx', ['-c', file, '-g', 'daemon off;'], { stdio: 'inherit' });
    await waitFor(async () => (await http(this.url, '/health')).status === 200, 'nginx');
  }

  async stop(): Promise<void> {
    this.nginx?.kill('SIGTERM');
    await Promise.all(this.instances.map((_, i) => this.stopInstance(i)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
