import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Issue #14 point 7: `npm run demo` (tools/demo/traffic.mjs) starts the built server on the
 * embedded store, runs normal users and three attacks from loopback addresses, and stops by
 * itself after DEMO_SECONDS. The smoke test: every attack was refused, normal users were not.
 */
const ROOT = resolve(__dirname, '../../..');

interface DemoResult {
  normal: { requests: number; ok: number; refused: number };
  guessing: { tries: number; refused: number; firstRefusedAfter: number | null };
  scan: { tries: number; refused: number; firstRefusedAfter: number | null };
  replay: { tries: number; refused: number; firstRefusedAfter: number | null };
}

describe('npm run demo', () => {
  it('#14.7 a bounded run catches the password guessing, the scanner and the token replay; normal users are never refused', async () => {
    const env: Record<string, string | undefined> = { ...process.env, DEMO_SECONDS: '30' };
    for (const k of ['BOUNCER_URL', 'DATABASE_URL', 'REDIS_URL', 'PORT']) delete env[k];
    const child = spawn(process.execPath, ['tools/demo/traffic.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect({ code, tail: out.slice(-2000) }).toEqual({ code: 0, tail: expect.any(String) });
    expect(out).toMatch(/Bouncer: +http:\/\/127\.0\.0\.1:\d+\//);
    expect(out).toMatch(/admin: +admin \/ \S{20,}/);
    const line = out.split('\n').find((l) => l.startsWith('demo result: '));
    const result = JSON.parse(line!.slice('demo result: '.length)) as DemoResult;
    // The sign-in buffer starts at the 5th failure: the 6th try is refused.
    expect(result.guessing.firstRefusedAfter).toBe(6);
    // The 21st not-found answer in a minute blocks the scanner: its 22nd probe is refused.
    expect(result.scan.firstRefusedAfter).toBe(22);
    // The owner's address plus three others: the token is revoked at the third replaying address.
    expect(result.replay.firstRefusedAfter).toBe(3);
    expect(result.normal.ok).toBeGreaterThan(20);
    expect(result.normal.refused).toBe(0);
  }, 300_000);
});
