import { TrafficMonitor } from '../detection/traffic/traffic-monitor';
import { MAX_POINTS, TrafficHistory } from './traffic-history';

const MIN = 60_000;
const HOUR = 60 * MIN;
const t0 = Date.UTC(2026, 0, 5, 0, 0, 0);

/** Drives a real TrafficMonitor: `n` requests in every 10-s bucket of [from, to), sampled into the history every 5 minutes. */
function run(history: TrafficHistory, monitor: TrafficMonitor, from: number, to: number, n: number): void {
  for (let t = from; t < to; t += 10_000) {
    for (let i = 0; i < n; i++) monitor.request('10.0.0.1', t);
    if ((t + 10_000 - from) % (5 * MIN) === 0) history.record(monitor.series(t + 10_000));
  }
}

const sum = (pts: { requests: number }[]) => pts.reduce((s, p) => s + p.requests, 0);

describe('TrafficHistory', () => {
  it('serves 15 minutes from the live 10-s series', () => {
    const monitor = new TrafficMonitor(10, 60_000);
    const history = new TrafficHistory(t0);
    run(history, monitor, t0, t0 + 15 * MIN, 1);
    const now = t0 + 15 * MIN;
    const s = history.series(now - 15 * MIN, now, now, monitor.series(now));
    expect(s.bucketSeconds).toBe(10);
    expect(s.points).toHaveLength(90);
    // The live ring holds 90 buckets ending with the one now is in: the bucket at t0 has just left it.
    expect(sum(s.points)).toBe(89);
  });

  it('keeps 24 hours in minutes and 7 days in hours, counting each request once however often it is fed', () => {
    const monitor = new TrafficMonitor(10, 60_000);
    const history = new TrafficHistory(t0);
    run(history, monitor, t0, t0 + 26 * HOUR, 2);
    const now = t0 + 26 * HOUR;
    const live = monitor.series(now);
    // Feeding the same live series again changes nothing.
    history.record(live);
    history.record(live);

    const hour = history.series(now - HOUR, now, now, live);
    expect(hour.bucketSeconds).toBe(60);
    expect(hour.points).toHaveLength(60);
    expect(sum(hour.points)).toBe(2 * 6 * 60);

    const day = history.series(now - 24 * HOUR, now, now, live);
    expect(day.bucketSeconds).toBe(300);
    expect(day.points.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(sum(day.points)).toBe(2 * 6 * 60 * 24);

    // Older than 24 hours: only hours are kept.
    const week = history.series(now - 7 * 24 * HOUR, now, now, live);
    expect(week.bucketSeconds).toBe(3600);
    expect(week.points).toHaveLength(7 * 24);
    expect(sum(week.points)).toBe(2 * 6 * 60 * 26);
    expect(history.since).toBe(t0);
  });

  it('counts the minute in progress from the live series', () => {
    const monitor = new TrafficMonitor(10, 60_000);
    const history = new TrafficHistory(t0);
    run(history, monitor, t0, t0 + 10 * MIN, 1);
    monitor.request('10.0.0.2', t0 + 10 * MIN + 5000);
    const now = t0 + 10 * MIN + 20_000;
    const s = history.series(now - HOUR, now, now, monitor.series(now));
    expect(s.bucketSeconds).toBe(60);
    expect(sum(s.points)).toBe(60 + 1);
  });
});
