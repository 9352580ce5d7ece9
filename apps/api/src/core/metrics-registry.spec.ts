import { MetricsRegistry } from './metrics-registry';

describe('MetricsRegistry (Prometheus text format 0.0.4)', () => {
  it('renders HELP, TYPE and samples; label values are escaped', () => {
    const r = new MetricsRegistry();
    const c = r.counter('x_total', 'a help\nline', ['rule']);
    c.labels('a"b\\c\nd').inc(2);
    r.gauge('g', 'gauge', () => 3);
    expect(r.render()).toBe(
      '# HELP x_total a help\\nline\n# TYPE x_total counter\nx_total{rule="a\\"b\\\\c\\nd"} 2\n# HELP g gauge\n# TYPE g gauge\ng 3\n',
    );
  });

  it('histogram buckets are cumulative with +Inf, sum and count', () => {
    const r = new MetricsRegistry();
    const h = r.histogram('h_seconds', 'h', [0.1, 1]);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    expect(r.render()).toContain(
      'h_seconds_bucket{le="0.1"} 1\nh_seconds_bucket{le="1"} 2\nh_seconds_bucket{le="+Inf"} 3\nh_seconds_sum 5.55\nh_seconds_count 3',
    );
  });

  it('refuses a second family of one name and bad names; a failing reader leaves only its family out', () => {
    const r = new MetricsRegistry();
    r.counter('a_total', 'a');
    expect(() => r.counter('a_total', 'a')).toThrow(/twice/);
    expect(() => r.counter('a-b', 'a')).toThrow(/invalid/);
    r.gauge('bad', 'bad', () => {
      throw new Error('no');
    });
    expect(r.render()).not.toContain('bad');
  });

  it('label children are bound once: the same child for the same values', () => {
    const c = new MetricsRegistry().counter('c_total', 'c', ['a', 'b']);
    expect(c.labels('x', 'y')).toBe(c.labels('x', 'y'));
    expect(() => c.labels('x')).toThrow();
  });
});
