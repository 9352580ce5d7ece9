/*
 * A small Prometheus text-format (0.0.4) registry: counters, gauges read at scrape time and
 * histograms, with fixed label sets bound once so the hot path only adds to a number.
 *
 * Why not prom-client: it is no longer installed (dropped from package.json in 764db6d) and
 * node_modules is shared; the API below mirrors prom-client's (Counter.labels().inc(),
 * Gauge collect, Histogram.observe, one Registry per app) so swapping it back is mechanical.
 */

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** Lines of samples, without HELP/TYPE. */
  samples(): string[];
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export class CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter implements Family {
  readonly type = 'counter';
  private readonly children = new Map<string, { labels: Labels; child: CounterChild }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {}

  /** The child for these label values (bind it once and keep it: no allocation per increment). */
  labels(...values: string[]): CounterChild {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name}: expected ${this.labelNames.length} label values`);
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      entry = { labels: Object.fromEntries(this.labelNames.map((n, i) => [n, values[i] as string])), child: new CounterChild() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  inc(by = 1): void {
    this.labels().inc(by);
  }

  samples(): string[] {
    return [...this.children.values()].map(({ labels, child }) => `${this.name}${labelText(labels)} ${num(child.value)}`);
  }
}

/** A value read when scraped: a gauge, or a counter another part keeps (the process's CPU time). */
export class Gauge implements Family {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number | { labels: Labels; value: number }[],
    readonly type: 'gauge' | 'counter' = 'gauge',
  ) {}

  samples(): string[] {
    const v = this.read();
    if (typeof v === 'number') return [`${this.name} ${num(v)}`];
    return v.map((s) => `${this.name}${labelText(s.labels)} ${num(s.value)}`);
  }
}

export class Histogram implements Family {
  readonly type = 'histogram';
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }

  observe(v: number): void {
    for (let i = 0; i < this.buckets.length; i++) if (v <= (this.buckets[i] as number)) this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += v;
    this.count++;
  }

  samples(): string[] {
    return [
      ...this.buckets.map((b, i) => `${this.name}_bucket{le="${num(b)}"} ${this.counts[i]}`),
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${num(this.sum)}`,
      `${this.name}_count ${this.count}`,
    ];
  }
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>();

  register<F extends Family>(family: F): F {
    if (!NAME.test(family.name)) throw new Error(`invalid metric name ${family.name}`);
    if (this.families.has(family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.families.set(family.name, family);
    return family;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, read: () => number | { labels: Labels; value: number }[], type: 'gauge' | 'counter' = 'gauge'): Gauge {
    return this.register(new Gauge(name, help, read, type));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, buckets));
  }

  /** The exposition text; a family whose reader throws is left out rather than failing the scrape. */
  render(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      let samples: string[];
      try {
        samples = f.samples();
      } catch {
        continue;
      }
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`, ...samples);
    }
    return `${out.join('\n')}\n`;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
