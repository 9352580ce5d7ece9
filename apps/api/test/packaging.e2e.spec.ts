import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { eventually, freePort, http, strongPassword } from '@bouncer/testing';

/**
 * Issue #14 point 6: the Dockerfile, the compose file and the production start. Images cannot be
 * pulled on this machine, so what can be checked is: the files say what they must (non-root,
 * healthcheck on readiness, volume, shared key, no secret in the file), `docker compose config`
 * accepts the compose file where compose exists, and `npm run start:prod` serves the build
 * without building anything.
 */
const ROOT = resolve(__dirname, '../../..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

type Service = {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  networks?: Record<string, { ipv4_address?: string }> | string[];
};

describe('packaging', () => {
  it('#14.6 the Dockerfile builds in one stage, installs production dependencies only in another, runs as non-root with a readiness healthcheck and the data volume', () => {
    const text = read('Dockerfile');
    const froms = text.split('\n').filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(text).toMatch(/RUN npm ci --no-audit/);
    expect(text).toMatch(/RUN npm ci --omit=dev/);
    expect(text).toMatch(/COPY --from=deps \/app\/node_modules/);
    expect(text).toMatch(/COPY --from=build \/src\/dist/);
    const final = text.slice(text.lastIndexOf('\nFROM '));
    expect(final).toMatch(/^USER node$/m);
    expect(final).toMatch(/^VOLUME \["\/var\/lib\/bouncer"\]$/m);
    expect(final).toMatch(/DATA_DIR=\/var\/lib\/bouncer/);
    expect(final).toMatch(/^HEALTHCHECK .*\n.*\/health\/ready/m);
    expect(final).toMatch(/^CMD \["node", "dist\/apps\/api\/main.js"\]$/m);
    // The build context leaves out what must never be in an image.
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', 'data', '.git', '.env', 'secrets']) expect(ignored).toContain(entry);
  });

  it('#14.6 the compose file: two instances sharing PostgreSQL, Redis and one signing key behind nginx, no secret written in it', () => {
    const text = read('docker-compose.yml');
    const doc = parseYaml(text, { merge: true }) as { services: Record<string, Service>; secrets: Record<string, { file: string }> };
    const s = doc.services;
    expect(Object.keys(s).sort()).toEqual(['bouncer-1', 'bouncer-2', 'nginx', 'postgres', 'redis']);
    const nginxNet = (s['nginx']!.networks as Record<string, { ipv4_address?: string }>)['bouncer']!.ipv4_address;
    for (const name of ['bouncer-1', 'bouncer-2']) {
      const b = s[name]!;
      const env = b.environment!;
      expect(env['DATABASE_URL']).toMatch(/^postgres:\/\/bouncer:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/bouncer$/);
      expect(env['REDIS_URL']).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379$/);
      expect(env['JWT_PRIVATE_KEY_FILE']).toBe('/run/secrets/jwt_key');
      expect(env['TRUSTED_PROXIES']).toBe(`${nginxNet}/32`);
      expect(b.secrets).toEqual(['jwt_key']);
      expect(b.stop_grace_period).toBe('40s');
      expect(b.volumes).toEqual([`${name}-data:/var/lib/bouncer`]);
    }
    expect(doc.secrets['jwt_key']!.file).toBe('./secrets/jwt-es256.pem');
    expect(s['postgres']!.healthcheck!.test.join(' ')).toContain('pg_isready');
    // Every password comes from the environment (.env), none is written in the file.
    expect(text).not.toMatch(/PASSWORD:\s*['"]?[A-Za-z0-9]/);
    const conf = read('tools/docker/nginx.conf');
    expect(conf).toContain('server bouncer-1:3000');
    expect(conf).toContain('server bouncer-2:3000');
    expect(conf).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
  });

  it('#14.6 docker compose config accepts the compose file (skipped, with the reason printed, where compose is missing)', () => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      console.warn(`docker compose config not run: \`docker compose version\` failed (${(probe.stderr || String(probe.error)).trim()})`);
      return;
    }
    {
      const res = spawnSync(
        'docker',
        ['compose', '-f', join(ROOT, 'docker-compose.yml'), '--project-directory', ROOT, 'config', '--quiet'],
        {
          encoding: 'utf8',
          env: { ...process.env, POSTGRES_PASSWORD: strongPassword(), REDIS_PASSWORD: strongPassword() },
        },
      );
      expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: '' });
      // Without the passwords it refuses, naming what is missing.
      const bare = spawnSync('docker', ['compose', '-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet'], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] },
      });
      expect(bare.status).not.toBe(0);
      expect(bare.stderr).toMatch(/POSTGRES_PASSWORD|REDIS_PASSWORD/);
    }
  });

  it('#14.6 npm run start:prod serves the existing build without building, and stops on SIGTERM', async () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start:prod']).toBe('node dist/apps/api/main.js');
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-start-prod-'));
    const port = await freePort();
    const env: Record<string, string | undefined> = { ...process.env };
    for (const k of ['DATABASE_URL', 'REDIS_URL', 'JWT_PRIVATE_KEY_FILE']) delete env[k];
    const started = Date.now();
    const child = spawn('npm', ['run', '--silent', 'start:prod'], {
      cwd: ROOT,
      env: {
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD: strongPassword(),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await eventually(
        async () => (await http(`http://127.0.0.1:${port}`, '/health/ready', { from: '127.0.80.1' })).status === 200,
        'ready',
        90_000,
        200,
      );
      const upSeconds = (Date.now() - started) / 1000;
      console.log(`npm run start:prod: ready in ${upSeconds.toFixed(1)} s`);
      // Nothing was built: no Nx or webpack output, and the dashboard is served from the existing dist/.
      expect(output).not.toMatch(/nx run|webpack compiled|Successfully ran target/i);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
      if (code === 'timeout') process.kill(-child.pid!, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('#14.6 engines: the Node versions package.json claims are the ones the toolchain accepts, and this one is among them', () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('^20.19.0 || ^22.13.0 || >=24.0.0');
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    expect((major === 20 && minor >= 19) || (major === 22 && minor >= 13) || major >= 24).toBe(true);
    // Angular's build and server-side packages with the narrowest ranges agree with the claim.
    const angular = JSON.parse(read('node_modules/@angular/core/package.json')) as { engines: { node: string } };
    expect(angular.engines.node).toMatch(/^\^20\.19\.0 \|\| \^22\.1[23]\.0 \|\| >=24/);
  });
});
