// The baseline: a bare Fastify route on this machine, in the same run as Bouncer.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/ping', async () => ({ valid: true, username: 'bench', role: 'user' }));
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`READY ${app.server.address().port}\n`);
