import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { API_MAIN } from '@bouncer/testing';

const DEMO = resolve(__dirname, '../../../../examples/gateway-demo/demo.mjs');

/** Runs `npm run demo:gateway`'s script briefly (the built API) and reads its closing line. */
describe('#11.6 the gateway demo', () => {
  const run = existsSync(API_MAIN) ? it : it.skip;

  run(
    'puts Bouncer in front of the sample API and stops the brute force and the scanner within seconds',
    async () => {
      const child = spawn(process.execPath, [DEMO], {
        env: { ...process.env, DEMO_SECONDS: '12', DEMO_PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((done) => child.on('exit', done));
      expect(code).toBe(0);
      expect(out).toMatch(/sign in as admin \/ \S+/);
      const line = /DEMO RESULT (.+)/.exec(out)?.[1];
      expect(line).toBeDefined();
      const result = JSON.parse(line as string);
      expect(result).toMatchObject({ brute_force_stopped: true, scanner_blocked: true });
      expect(result.users_served).toBeGreaterThan(0);
      // Refused attempts never reached the sample API: it saw fewer failed sign-ins than were tried.
      const tried = Object.values(result.tally.bruteForce as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(result.sample_api.login_failed).toBeLessThan(tried);
    },
    240_000,
  );
});
