import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ApiProcess, eventually, freePort, http, startApiProcess, strongPassword } from '@bouncer/testing';

const root = resolve(__dirname, '../../../..');

export interface Instance {
  port: number;
  url: string;
  api: ApiProcess;
  log: string[];
}

/**
 * N built API processes sharing one PostgreSQL database, one Redis and one signing key,
 * fronted by nginx (from Debian) with the repository's config template.
 */
export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'bouncer-cluster-'));
  readonly adminPassword = strongPassword();
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
    const log: string[] = [];
    const api = await startApiProcess({
      port,
      env: {
        ...process.env,
        DATA_DIR: join(this.dir, `instance-${index}`),
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD: this.adminPassword,
        JWT_PRIVATE_KEY_FILE: this.keyFile,
        TRUSTED_PROXIES: '127.0.0.1/32',
        LOG_LEVEL: 'warn',
        ...this.env,
      },
      onOutput: (chunk) => log.push(chunk),
      timeoutMs: 30_000,
    }).catch((err: Error) => {
      throw new Error(`instance ${index}: ${err.message}: ${log.join('')}`);
    });
    const inst = { port: api.port, url: api.url, api, log };
    this.instances[index] = inst;
    return inst;
  }

  async stopInstance(index: number): Promise<void> {
    await this.instances[index]?.api.stop();
  }

  async startNginx(): Promise<void> {
    this.nginxPort = await freePort();
    const tmp = join(this.dir, 'nginx');
    mkdirSync(tmp, { recursive: true });
    const conf = readFileSync(join(root, 'tools/nginx/bouncer.conf.template'), 'utf8')
      .split('{{PID_FILE}}')
      .join(join(tmp, 'nginx.pid'))
      .split('{{ERROR_LOG}}')
      .join(join(tmp, 'error.log'))
      .split('{{TMP_DIR}}')
      .join(tmp)
      .split('{{PORT}}')
      .join(String(this.nginxPort))
      .split('{{UPSTREAMS}}')
      .join(this.instances.map((i) => `    server 127.0.0.1:${i.port} max_fails=1 fail_timeout=2s;`).join('\n'));
    const file = join(tmp, 'nginx.conf');
    writeFileSync(file, conf);
    this.nginx = spawn('nginx', ['-c', file, '-g', 'daemon off;'], { stdio: 'inherit' });
    await eventually(async () => (await http(this.url, '/health')).status === 200, 'nginx', 30_000, 100);
  }

  async stop(): Promise<void> {
    this.nginx?.kill('SIGTERM');
    await Promise.all(this.instances.map((_, i) => this.stopInstance(i)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
