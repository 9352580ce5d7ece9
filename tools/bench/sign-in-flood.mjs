// Line 6 of issue 12: how long a legitimate sign-in takes while 200 addresses hammer /token.
// Every attacker is its own loopback address (its own client to Bouncer) with one keep-alive
// connection, guessing passwords as fast as it is answered. Legitimate users sign in meanwhile,
// each from an address of its own (a person signs in once, not 300 times a minute), with the
// default rules: nothing is lifted for this line.
import { clientAgent, percentile, request } from './http.mjs';
import { sleep, startBouncer, strongPassword } from './processes.mjs';

export async function benchSignInFlood({ seconds, smoke, log }) {
  const attackers = smoke ? 20 : 200;
  const app = await startBouncer('sign-in-flood', {});
  const admin = await app.signIn();
  const userPassword = strongPassword();
  const made = await request(app.url, '/admin/users', {
    token: admin,
    body: { username: 'alice', password: userPassword, role: 'user' },
  });
  if (made.status !== 201) throw new Error(`creating the legitimate user answered ${made.status} ${made.text}`);

  // The same sign-in with no attack, as the yardstick (on a loaded machine it is slow too).
  const quiet = [];
  for (let k = 0; k < (smoke ? 2 : 5); k++) {
    const r = await request(app.url, '/token', { form: { username: 'alice', password: userPassword }, from: `127.0.199.${k + 1}` });
    if (r.status !== 200) throw new Error(`a quiet sign-in answered ${r.status} ${r.text}`);
    quiet.push(r.ms);
  }

  const until = Date.now() + seconds * 1000;
  const attackStatuses = {};
  const attack = async (i) => {
    const from = `127.0.${100 + (i >> 8)}.${(i % 250) + 1}`;
    const agent = clientAgent(from);
    let n = 0;
    try {
      while (Date.now() < until) {
        // Half guess at the admin account, half spray names that do not exist (each one still
        // costs a full argon2 check against the dummy hash).
        const username = i % 2 === 0 ? 'admin' : `guess-${i}-${n}`;
        const r = await request(app.url, '/token', { form: { username, password: `wrong-${i}-${n++}` }, agent });
        attackStatuses[r.status] = (attackStatuses[r.status] ?? 0) + 1;
      }
    } catch (err) {
      attackStatuses.error = (attackStatuses.error ?? 0) + 1;
      if (!attackStatuses.firstError) attackStatuses.firstError = err.message;
    } finally {
      agent.destroy();
    }
  };
  const latencies = [];
  const failures = {};
  const legitimate = async () => {
    await sleep(200); // the flood is under way first
    for (let k = 0; Date.now() < until; k++) {
      const from = `127.0.${200 + (k >> 8)}.${(k % 250) + 1}`;
      const r = await request(app.url, '/token', { form: { username: 'alice', password: userPassword }, from });
      if (r.status === 200) latencies.push(r.ms);
      else failures[r.status] = (failures[r.status] ?? 0) + 1;
      await sleep(100);
    }
  };
  log(`line 6: ${attackers} attacking addresses for ${seconds} s, legitimate sign-ins every 100 ms`);
  await Promise.all([...Array.from({ length: attackers }, (_, i) => attack(i)), legitimate()]);
  const p99 = Math.round(percentile(latencies, 99));
  const refusedLegit = Object.values(failures).reduce((a, b) => a + b, 0);
  return {
    rows: [
      {
        line: 6,
        name: `legitimate sign-in p99 while ${attackers} addresses hammer /token`,
        measured: p99,
        unit: 'ms',
        target: '< 1000 ms, none refused',
        pass: p99 < 1000 && refusedLegit === 0 && latencies.length > 0,
        detail:
          `without the attack ${Math.round(percentile(quiet, 50))} ms; under it ${latencies.length} sign-ins, p50 ${Math.round(percentile(latencies, 50))} ms, max ${Math.round(Math.max(...latencies))} ms` +
          `${refusedLegit ? `, refused ${JSON.stringify(failures)}` : ''}; attack answers ${JSON.stringify(attackStatuses)}`,
      },
    ],
    raw: { quiet: quiet.map((x) => Math.round(x)), latencies: latencies.map((x) => Math.round(x)), failures, attackStatuses },
  };
}
