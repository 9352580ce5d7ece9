// `npm run bench`: every line of issue 12, measured in one run on this machine, against the
// original prototype (../shared/original) where a line compares with it. Prints a table,
// writes tools/bench/results/<date>.json.
//   npm run bench                 full run (builds the API first; at most 10 minutes on 2 cores)
//   npm run bench:smoke           every line for a second or so, small sizes, no thresholds (CI)
//   node tools/bench/run.mjs [--smoke] [--markdown] [--strict] [--only=1,6,10]
//   BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_ROUNDS override the throughput settings.
// Lines 7, 8, 9, 11 come from tools/bench/footprint.mjs and line 12 from tools/bench/gateway.mjs
// when those modules exist; otherwise their rows say "not available".
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchAdmission } from './admission.mjs';
import { ROOT, stopAll } from './processes.mjs';
import { benchSignInFlood } from './sign-in-flood.mjs';
import { benchThroughput } from './throughput.mjs';
import { markdownTable, textTable } from './table.mjs';

const args = new Set(process.argv.slice(2));
const smoke = args.has('--smoke') || process.env.BENCH_SMOKE === '1';
const only = [...args]
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const settings = {
  smoke,
  // Five rounds of 3 s rather than three of 5 s (the same time): on a shared machine whose speed
  // drifts within minutes, each case keeps its best of more moments.
  seconds: Number(process.env.BENCH_SECONDS ?? (smoke ? 1 : 3)),
  connections: Number(process.env.BENCH_CONNECTIONS ?? (smoke ? 8 : 16)),
  rounds: Number(process.env.BENCH_ROUNDS ?? (smoke ? 1 : 5)),
  floodSeconds: smoke ? 2 : 20,
  log: (line) => process.stderr.write(`[bench] ${line}\n`),
};

/** Each section: the lines it measures and how. A module from another branch may be absent. */
const sections = [
  { lines: ['1', '2', '3', '4', '5'], run: () => benchThroughput(settings) },
  { lines: ['6'], run: () => benchSignInFlood({ ...settings, seconds: settings.floodSeconds }) },
  { lines: ['7', '8', '9', '11'], module: './footprint.mjs', fn: 'benchFootprint', what: 'the footprint lines' },
  { lines: ['10'], run: () => benchAdmission(settings) },
  { lines: ['12'], module: './gateway.mjs', fn: 'benchGateway', what: 'the gateway lines' },
];

async function optional(section) {
  let mod;
  try {
    mod = await import(section.module);
  } catch (err) {
    if (err.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(section.module.slice(2))) throw err;
    return {
      rows: section.lines.map((line) => ({
        line,
        name: `${section.what}: tools/bench/${section.module.slice(2)}`,
        measured: null,
        pass: null,
        detail: 'not available on this branch',
      })),
    };
  }
  const out = await mod[section.fn]({ smoke, seconds: settings.seconds, connections: settings.connections, log: settings.log });
  return Array.isArray(out) ? { rows: out } : out;
}

async function main() {
  const started = Date.now();
  const machine = {
    cpus: availableParallelism(),
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gb: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    load_average_at_start: loadavg().map((x) => +x.toFixed(2)),
  };
  const rows = [];
  const raw = {};
  let crashed = false;
  for (const section of sections) {
    if (only && !section.lines.some((l) => only.includes(l))) continue;
    try {
      const result = section.module ? await optional(section) : await section.run();
      rows.push(...result.rows);
      if (result.raw) raw[section.lines.join(',')] = result.raw;
    } catch (err) {
      crashed = true;
      settings.log(`lines ${section.lines.join(', ')} failed: ${err.stack ?? err}`);
      rows.push(
        ...section.lines.map((line) => ({
          line,
          name: 'crashed',
          measured: null,
          pass: false,
          detail: String(err.message ?? err).slice(0, 300),
        })),
      );
    } finally {
      await stopAll();
    }
  }
  rows.sort((a, b) => parseFloat(a.line) - parseFloat(b.line) || String(a.line).localeCompare(String(b.line)));
  const summary = {
    date: new Date(started).toISOString(),
    duration_seconds: Math.round((Date.now() - started) / 1000),
    mode: smoke ? 'smoke (no thresholds)' : 'full',
    settings: {
      seconds: settings.seconds,
      connections: settings.connections,
      rounds: settings.rounds,
      flood_seconds: settings.floodSeconds,
    },
    machine,
    rows,
    raw,
  };
  const dir = join(ROOT, 'tools/bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${summary.date.replace(/[:.]/g, '-')}${smoke ? '-smoke' : ''}.json`);
  writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');
  process.stdout.write((args.has('--markdown') ? markdownTable(summary) : textTable(summary)) + '\n');
  process.stdout.write(`results: ${file}\n`);
  // A crashed section, or a line that measured something other than what it names, fails even a smoke run.
  if (crashed || rows.some((r) => r.measuredWrong)) process.exitCode = 1;
  else if (!smoke && args.has('--strict') && rows.some((r) => r.pass === false)) process.exitCode = 1;
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void stopAll().finally(() => process.exit(130));
  });
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exitCode = 1;
});
