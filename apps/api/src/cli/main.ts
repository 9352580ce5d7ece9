import { runCli } from './bouncer-cli';

runCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  // Waits for the pipe to drain: an export of any size is held in memory only a chunk at a time.
  write: (chunk) => new Promise<void>((done, fail) => process.stdout.write(chunk, (err) => (err ? fail(err) : done()))),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
}).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bouncer: ${err.message}\n`);
    process.exit(1);
  },
);
