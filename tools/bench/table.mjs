// The run's rows as a plain-text table (terminal) or a markdown table (README), with the machine.

const verdict = (row, smoke) =>
  row.pass === null || row.pass === undefined ? '-' : smoke ? `(${row.pass ? 'pass' : 'fail'})` : row.pass ? 'pass' : 'FAIL';

function measured(row) {
  if (row.measured === null || row.measured === undefined) return 'not measured';
  const value = typeof row.measured === 'number' ? row.measured.toLocaleString('en-US') : String(row.measured);
  return row.unit === 'x' ? `${value}x` : row.unit ? `${value} ${row.unit}` : value;
}

/** The row's context: its own detail (text, or fields as JSON), why it could not run, what a gateway row adds. */
function detailOf(row) {
  const parts = [];
  if (typeof row.p99AddedMs === 'number') parts.push(`adds ${row.p99AddedMs} ms at p99`);
  if (row.detail && typeof row.detail === 'object') parts.push(JSON.stringify(row.detail));
  else if (row.detail) parts.push(String(row.detail));
  if (row.error) parts.push(`error: ${row.error}`);
  return parts.join('; ');
}

function machineLine(s) {
  const m = s.machine;
  return `${s.date.slice(0, 16).replace('T', ' ')} UTC, ${m.cpus} CPUs (${m.cpu_model}), ${m.memory_gb} GB, Node ${m.node}, load ${m.load_average_at_start.join(' ')} at start; ${s.mode}, ${s.duration_seconds} s`;
}

export function textTable(s) {
  const cells = s.rows.map((r) => [String(r.line), r.name, measured(r), r.target ?? '', verdict(r, s.mode !== 'full'), detailOf(r)]);
  const head = ['line', 'what', 'measured', 'target', 'result', 'detail'];
  const widths = head.map((h, i) => Math.min(i === 5 ? 200 : 60, Math.max(h.length, ...cells.map((c) => c[i].length))));
  const fmt = (c) =>
    c
      .map((x, i) => x.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [machineLine(s), fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...cells.map(fmt)].join('\n');
}

export function markdownTable(s) {
  const esc = (x) => String(x).replace(/\|/g, '\\|');
  const lines = [
    `Measured ${machineLine(s)}.`,
    '',
    '| line | what | measured | target | result | detail |',
    '|---|---|---|---|---|---|',
    ...s.rows.map(
      (r) =>
        `| ${r.line} | ${esc(r.name)} | ${esc(measured(r))} | ${esc(r.target ?? '')} | ${verdict(r, s.mode !== 'full')} | ${esc(detailOf(r))} |`,
    ),
  ];
  return lines.join('\n');
}
