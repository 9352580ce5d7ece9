import { runCli } from './bouncer-cli';

runCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
}).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bouncer: ${err.message}\n`);
    process.exit(1);
  },
);
