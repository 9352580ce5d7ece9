// The reference for line 1: a bare Fastify route answering what /validate-token answers, with
// no authentication, no detection and no headers beyond Fastify's own. The ceiling of this
// stack on this machine: Bouncer cannot be faster than it.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/validate-token', async () => ({ valid: true, username: 'admin', role: 'admin' }));
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`READY ${app.server.address().port}\n`);
