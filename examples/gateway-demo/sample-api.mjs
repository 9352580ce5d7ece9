// The sample API of the gateway demo: a tiny service with its own sign-in, standing for yours.
//   POST /login  {username, password} -> 200 {token} or 401     GET /api/items -> 200 (who Bouncer says you are)
//   GET  /api/admin/report -> 200 (the policy makes it admin-only)   anything else -> 404
import { createServer } from 'node:http';

const USERS = { alice: 'wonderland-4711', bob: 'builder-4711' };

export function startSampleApi(port = 0) {
  const counts = { total: 0, login_ok: 0, login_failed: 0, not_found: 0 };
  const server = createServer((req, res) => {
    counts.total++;
    const json = (status, body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/login') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        let creds = {};
        try {
          creds = JSON.parse(body);
        } catch {
          /* a bad body is a failed sign-in */
        }
        if (USERS[creds.username] && USERS[creds.username] === creds.password) {
          counts.login_ok++;
          json(200, { ok: true, user: creds.username });
        } else {
          counts.login_failed++;
          json(401, { error: 'wrong username or password' });
        }
      });
      return;
    }
    if (path.startsWith('/api/')) return json(200, { path, user: req.headers['x-bouncer-user'] ?? null, items: ['apples', 'pears'] });
    counts.not_found++;
    json(404, { error: 'not found' });
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, counts, users: USERS, server })),
  );
}
