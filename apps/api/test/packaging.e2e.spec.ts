import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import * as ipaddr from 'ipaddr.js';
import { parse as parseYaml } from 'yaml';
import { eventually, freePort, http, strongPassword } from '@bouncer/testing';
import { CONFIG_VARIABLES, loadConfig } from '../src/config/app-config';

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
  command?: string[];
  environment?: Record<string, string>;
  env_file?: unknown;
  ports?: string[];
  volumes?: string[];
  secrets?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  networks?: Record<string, { ipv4_address?: string }> | string[];
};
type ComposeFile = {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
  networks: Record<string, { ipam?: { config?: { subnet: string }[] } }>;
};

/** One stage of a Dockerfile: its name, base image and instructions (continuations joined, comments dropped). */
interface Stage {
  name?: string;
  base: string;
  instructions: { op: string; args: string }[];
}

function dockerfileStages(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ base: m[1]!, name: m[2], instructions: [] });
    } else stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

/** `ENV A=1 B=2` lines of a stage as one record (the only ENV form the Dockerfile uses). */
function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of stage.instructions.filter((i) => i.op === 'ENV'))
    for (const pair of args.split(/\s+/)) {
      const [k, ...v] = pair.split('=');
      env[k!] = v.join('=');
    }
  return env;
}

/**
 * Whether .dockerignore leaves `path` (relative to the context) out: Docker matches each pattern
 * (Go filepath.Match plus `**`) against the path and every parent folder, anchored at the context
 * root; the last matching line wins and `!` re-includes.
 */
function dockerIgnored(patterns: string[], path: string): boolean {
  const parts = path.split('/');
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = posix.normalize(negated ? raw.slice(1) : raw).replace(/^\/+/, '');
    const re = new RegExp(
      '^' +
        pattern
          .split('**')
          .map((piece) =>
            piece
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
          )
          .join('.*') +
        '$',
    );
    for (let n = 1; n <= parts.length; n++) if (re.test(parts.slice(0, n).join('/'))) ignored = !negated;
  }
  return ignored;
}

/** The compose file's `${VAR...}` interpolations: name, operator (`:?`, `:-`, … or none) and the text after it. */
function interpolations(text: string): { name: string; operator: string }[] {
  return [...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?[^}]*\}/g)].map((m) => ({ name: m[1]!, operator: m[2] ?? '' }));
}

/** Replaces each `${VAR:?…}` (and `$$`) the way compose does, with the values given. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}/g, (_, name: string) => vars[name] ?? '').replace(/\$\$/g, '$');
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|(?<!_FILE)KEY$|CREDENTIAL/;

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

  it("#14.6 the Dockerfile: named build stages, a final stage that copies only what exists, runs the API's build as a non-root user, keeps DATA_DIR on a volume and probes readiness on its port", () => {
    const stages = dockerfileStages(read('Dockerfile'));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = stages.at(-1)!;
    const earlier = stages.slice(0, -1);
    for (const stage of earlier) expect(stage.name).toMatch(/^[a-z][a-z0-9-]*$/);
    const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);
    // Non-root: a USER before the command, neither root nor uid 0.
    const users = ops(final, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    const order = final.instructions.map((i) => i.op);
    expect(order.indexOf('USER')).toBeLessThan(order.indexOf('CMD'));
    // Every ENV of the image is a setting the server reads (NODE_ENV is for the libraries), and together they load.
    const env = stageEnv(final);
    expect(Object.keys(env).filter((k) => k !== 'NODE_ENV' && !CONFIG_VARIABLES.includes(k))).toEqual([]);
    expect(() => loadConfig(env)).not.toThrow();
    // The data folder is the volume, created for the image's user before USER switches to it.
    expect(ops(final, 'VOLUME')).toEqual([JSON.stringify([env['DATA_DIR']])]);
    const user = users[0]!.split(':')[0]!;
    expect(ops(final, 'RUN').some((r) => r.includes(`-o ${user}`) && r.includes(env['DATA_DIR']!))).toBe(true);
    // The port it listens on is the one exposed and the one the healthcheck asks for readiness.
    expect(ops(final, 'EXPOSE')).toEqual([env['PORT']]);
    const health = ops(final, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]).toMatch(/CMD .*http:\/\/127\.0\.0\.1:\$\{process\.env\.PORT\}\/health\/ready/);
    // COPY from the context: each source exists and .dockerignore does not leave it out.
    const ignore = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const stage of stages)
      for (const copy of ops(stage, 'COPY').filter((c) => !c.startsWith('--from='))) {
        const sources = copy.split(/\s+/).slice(0, -1);
        for (const src of sources.filter((x) => x !== '.')) {
          expect({ src, exists: existsSync(join(ROOT, src)), ignored: dockerIgnored(ignore, src) }).toEqual({
            src,
            exists: true,
            ignored: false,
          });
        }
      }
    // `COPY . .` builds the API and the dashboard: none of what that build reads is left out of the context.
    for (const needed of [
      'package.json',
      'package-lock.json',
      'nx.json',
      'tsconfig.base.json',
      'apps/api/src/main.ts',
      'apps/api/src/db/migrations',
      'apps/dashboard/src/main.ts',
      'libs/detection/src/index.ts',
      'libs/contracts/src/index.ts',
    ])
      expect({ needed, ignored: dockerIgnored(ignore, needed) }).toEqual({ needed, ignored: false });
    for (const secret of [
      '.env',
      '.env.production',
      'secrets/jwt-es256.pem',
      'data/keys/jwt.pem',
      'node_modules/x',
      'dist/apps/api/main.js',
    ])
      expect({ secret, ignored: dockerIgnored(ignore, secret) }).toEqual({ secret, ignored: true });
    // COPY --from: an earlier stage, from a path under its WORKDIR (or one its build writes there).
    const workdir = (stage: Stage) => ops(stage, 'WORKDIR').at(-1)!;
    for (const copy of ops(final, 'COPY').filter((c) => c.startsWith('--from='))) {
      const [, from, src] = /^--from=(\S+)\s+(\S+)/.exec(copy)!;
      const stage = earlier.find((s) => s.name === from);
      expect({ copy, stage: stage?.name }).toEqual({ copy, stage: from });
      expect(src!.startsWith(`${workdir(stage!)}/`)).toBe(true);
    }
    // The command is the API's build output, and the dashboard it serves by default sits beside it
    // (app.factory.ts: <main.js folder>/../dashboard/browser), both under the dist/ the image copies.
    const cmd = JSON.parse(ops(final, 'CMD')[0]!) as string[];
    expect(cmd).toEqual(['node', 'dist/apps/api/main.js']);
    const webpack = read('apps/api/webpack.config.js');
    expect(webpack).toContain("path: join(__dirname, '../../dist/apps/api')");
    const dashboard = JSON.parse(read('apps/dashboard/project.json')) as { targets: { build: { options: { outputPath: string } } } };
    expect(dashboard.targets.build.options.outputPath).toBe('dist/apps/dashboard');
    const build = stages.find((s) => s.name === 'build')!;
    expect(ops(build, 'RUN').some((r) => /nx run-many -t build -p api dashboard/.test(r))).toBe(true);
  });

  it('#14.6 the compose file, checked against the code: every setting is one the server reads and loads, secrets only from the environment, services wait for healthy dependencies, ports, volumes and networks agree', () => {
    const text = read('docker-compose.yml');
    const doc = parseYaml(text, { merge: true }) as ComposeFile;
    const s = doc.services;
    const image = stageEnv(dockerfileStages(read('Dockerfile')).at(-1)!);
    const bouncers = Object.keys(s).filter((name) => s[name]!.build !== undefined);
    expect(bouncers.length).toBeGreaterThanOrEqual(2);

    // PostgreSQL and Redis exist and say when they are healthy; every Bouncer waits for that.
    expect(s['postgres']!.image).toMatch(/^postgres:/);
    expect(s['redis']!.image).toMatch(/^redis:/);
    expect(s['postgres']!.healthcheck!.test.join(' ')).toMatch(/pg_isready -U bouncer -d bouncer/);
    expect(s['redis']!.healthcheck!.test.join(' ')).toMatch(/REDISCLI_AUTH=.*redis-cli ping/);
    for (const name of bouncers)
      expect(s[name]!.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    // nginx waits for the Bouncers' own health: the image's HEALTHCHECK (compose sets none of its own).
    expect(s['nginx']!.depends_on).toEqual(Object.fromEntries(bouncers.map((b) => [b, { condition: 'service_healthy' }])));
    for (const name of bouncers) expect(s[name]!.healthcheck).toBeUndefined();

    // Every variable a Bouncer gets is a setting the server reads (a misspelt one would be ignored
    // in silence), and the image's ENV plus these load as the server would load them.
    const vars = { POSTGRES_PASSWORD: strongPassword(), REDIS_PASSWORD: strongPassword() };
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-compose-'));
    try {
      const key = join(dir, 'jwt_key');
      writeFileSync(key, 'a key', { mode: 0o600 });
      for (const name of bouncers) {
        const env = s[name]!.environment!;
        expect(Object.keys(env).filter((k) => !CONFIG_VARIABLES.includes(k))).toEqual([]);
        const resolved = Object.fromEntries(Object.entries({ ...image, ...env }).map(([k, v]) => [k, interpolate(String(v), vars)]));
        // The key is a compose secret, mounted at /run/secrets/<name>: stand it in with a file here.
        expect(resolved['JWT_PRIVATE_KEY_FILE']).toBe(`/run/secrets/${s[name]!.secrets![0]}`);
        const config = loadConfig({ ...resolved, JWT_PRIVATE_KEY_FILE: key });
        expect(config).toMatchObject({ host: '0.0.0.0', allowInsecureHttp: true, dataDir: image['DATA_DIR'] });
        expect(config.databaseUrl).toContain(`:${vars.POSTGRES_PASSWORD}@postgres:5432/`);
        expect(config.redisUrl).toContain(`:${vars.REDIS_PASSWORD}@redis:6379`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // No secret has a value in the file: each secret-like variable is a required `${VAR:?…}` (no
    // `:-default`), every password in a URL or a command comes from one, and nothing uses env_file
    // with a committed file.
    const used = interpolations(text);
    expect(used.length).toBeGreaterThan(0);
    for (const { name, operator } of used) if (SECRET_NAME.test(name)) expect({ name, operator }).toEqual({ name, operator: ':?' });
    for (const [name, svc] of Object.entries(s)) {
      expect({ name, env_file: svc.env_file }).toEqual({ name, env_file: undefined });
      for (const [k, v] of Object.entries(svc.environment ?? {})) {
        if (SECRET_NAME.test(k)) expect({ k, v }).toEqual({ k, v: expect.stringMatching(/^\$\{[A-Z_]+:\?[^}]+\}$/) });
        const userinfo = /^[a-z]+:\/\/([^@/]*)@/.exec(String(v))?.[1];
        if (userinfo?.includes(':'))
          expect({ k, password: userinfo.slice(userinfo.indexOf(':') + 1) }).toEqual({
            k,
            password: expect.stringMatching(/^\$\{[A-Z_]+:\?[^}]+\}$/),
          });
      }
      const command = svc.command ?? [];
      const pass = command.indexOf('--requirepass');
      if (pass >= 0) expect(command[pass + 1]).toMatch(/^\$\{REDIS_PASSWORD:\?[^}]+\}$/);
    }
    // The signing key is a file kept out of git and out of the image's build context.
    const keyFile = doc.secrets['jwt_key']!.file.replace(/^\.\//, '');
    expect(read('.gitignore').split('\n')).toEqual(expect.arrayContaining(['/secrets', '.env']));
    expect(keyFile.startsWith('secrets/')).toBe(true);

    // Ports: nginx publishes its `listen` port, and sends to each Bouncer on the port the Bouncer listens on.
    const conf = read('tools/docker/nginx.conf');
    const listen = /^\s*listen (\d+);/m.exec(conf)![1];
    expect(s['nginx']!.ports).toEqual([expect.stringMatching(new RegExp(`^'?\\d+:${listen}'?$`))]);
    const upstreams = [...conf.matchAll(/^\s*server ([\w-]+):(\d+)/gm)].map((m) => [m[1], m[2]]);
    expect(upstreams).toEqual(bouncers.map((b) => [b, s[b]!.environment!['PORT'] ?? image['PORT']]));
    for (const b of bouncers) expect(s[b]!.environment!['PORT'] ?? image['PORT']).toBe(image['PORT']);
    // Only nginx is published: a Bouncer reached past nginx would take any X-Forwarded-For... from nobody
    // (TRUSTED_PROXIES is nginx alone), but the databases must not be reachable from outside at all.
    for (const name of Object.keys(s).filter((n) => n !== 'nginx'))
      expect({ name, ports: s[name]!.ports }).toEqual({ name, ports: undefined });

    // Volumes: every named volume used is declared and every declared one is used; each Bouncer has
    // its own data volume (one process per data folder) on the image's DATA_DIR; bind mounts exist.
    const mounts = Object.values(s).flatMap((svc) => svc.volumes ?? []);
    const named = mounts.map((m) => m.split(':')[0]!).filter((src) => !src.startsWith('.') && !src.startsWith('/'));
    expect([...new Set(named)].sort()).toEqual(Object.keys(doc.volumes).sort());
    expect(new Set(named).size).toBe(named.length);
    for (const b of bouncers) expect(s[b]!.volumes).toEqual([`${b}-data:${image['DATA_DIR']}`]);
    for (const src of mounts.map((m) => m.split(':')[0]!).filter((x) => x.startsWith('.')))
      expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });

    // Networks: one, declared; nginx's fixed address is in its subnet and is the only trusted proxy.
    const subnet = doc.networks['bouncer']!.ipam!.config![0]!.subnet;
    const nginxIp = (s['nginx']!.networks as Record<string, { ipv4_address: string }>)['bouncer']!.ipv4_address;
    expect(ipaddr.parse(nginxIp).match(ipaddr.parseCIDR(subnet))).toBe(true);
    for (const svc of Object.values(s)) {
      const nets = Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks ?? {});
      expect(nets).toEqual(['bouncer']);
    }
    for (const b of bouncers) expect(s[b]!.environment!['TRUSTED_PROXIES']).toBe(`${nginxIp}/32`);
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
