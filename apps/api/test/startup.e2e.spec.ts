import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { http } from '@bouncer/testing';

describe('start-up', () => {
  it('creates the first admin with a generated password, printed once, and never again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-first-'));
    const lines: string[] = [];
    try {
      const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
      let app = await createApp(config, { print: (l) => lines.push(l) });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
      expect(lines).toHaveLength(1);
      const password = /generated password: (\S+)/.exec(lines[0] ?? '')?.[1] as string;
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect(lines[0]).toMatch(/change it/);
      expect((await http(url, '/token', { form: { username: 'admin', password } })).status).toBe(200);
      await app.close();
      app = await createApp(config, { print: (l) => lines.push(l) });
      expect(lines).toHaveLength(1);
      await app.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves HTTPS with TLS_CERT_FILE and TLS_KEY_FILE, with HSTS and Secure cookies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const password = 'Tls-test-password-4711';
      const config = loadConfig({
        DATA_DIR: dir,
        LOG_LEVEL: 'silent',
        TLS_CERT_FILE: join(dir, 'cert.pem'),
        TLS_KEY_FILE: join(dir, 'key.pem'),
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD: password,
      });
      const app = await createApp(config, { print: () => undefined });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.getHttpServer().address() as { port: number }).port;
      const res = await new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
        const body = JSON.stringify({ username: 'admin', password });
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/session',
            method: 'POST',
            rejectUnauthorized: false,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (r) => {
            r.resume();
            r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(res.status).toBe(200);
      expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
      expect(String(res.headers['set-cookie'])).toMatch(/Secure/);
      await app.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a bad RULES_FILE, naming the file, the rule and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-bad-rules-'));
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  login-buffer:\n    kind: login-buffer\n    threshold: -3\n');
    const main = join(__dirname, '../../../dist/apps/api/main.js');
    const run = spawnSync(process.execPath, [main], {
      env: { ...process.env, RULES_FILE: file, DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('bouncer: rules.yaml: rule "login-buffer": threshold must be a positive integer, got -3');
    rmSync(dir, { recursive: true, force: true });
  });
});
