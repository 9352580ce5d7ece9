import { ClientTimeline, TIMELINE_HOURS, TIMELINE_MINUTES } from './client-timeline';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = 1_000 * HOUR; // an hour (and minute) boundary

const lastHour = (now: number) => ({ from: now - HOUR, to: now, now });
const sum = (r: number[]) => r.reduce((a, b) => a + b, 0);

describe('ClientTimeline', () => {
  it('counts requests per minute over the last hour, oldest first', () => {
    const t = new ClientTimeline(10);
    t.request('10.0.0.1', T0);
    t.request('10.0.0.1', T0 + 30_000);
    t.request('10.0.0.1', T0 + 5 * MIN);
    const now = T0 + 5 * MIN + 1;
    const r = t.read('10.0.0.1', lastHour(now));
    expect(r.bucketMs).toBe(MIN);
    expect(r.requests).toHaveLength(TIMELINE_MINUTES);
    expect(r.since).toBe(T0 + 5 * MIN - (TIMELINE_MINUTES - 1) * MIN);
    expect(r.requests.at(-1)).toBe(1);
    expect(r.requests.at(-6)).toBe(2);
    expect(sum(r.requests)).toBe(3);
    expect(r.tracked).toBe(true);
  });

  it('drops minutes older than an hour, also when their slot is reused', () => {
    const t = new ClientTimeline(10);
    t.request('10.0.0.1', T0);
    expect(t.read('10.0.0.1', lastHour(T0 + 60 * MIN)).requests.every((n) => n === 0)).toBe(true);
    t.request('10.0.0.1', T0 + 60 * MIN); // the same slot of the ring, an hour later
    const r = t.read('10.0.0.1', lastHour(T0 + 60 * MIN));
    expect(r.requests.at(-1)).toBe(1);
    expect(sum(r.requests)).toBe(1);
  });

  it('a range within the last hour is read per minute, only its own minutes', () => {
    const t = new ClientTimeline(10);
    for (let m = 0; m < 30; m++) t.request('10.0.0.1', T0 + m * MIN);
    const now = T0 + 30 * MIN;
    const r = t.read('10.0.0.1', { from: now - 15 * MIN, to: now, now });
    expect(r.bucketMs).toBe(MIN);
    expect(r.since).toBe(now - 15 * MIN);
    // 15 whole minutes and the one in progress (empty).
    expect(r.requests).toEqual([...new Array<number>(15).fill(1), 0]);
  });

  it('a range reaching past the last hour is read per hour, for 7 days, and per-hour counts survive the minute ring', () => {
    const t = new ClientTimeline(10);
    t.request('10.0.0.1', T0 - 6 * DAY); // 6 days ago
    for (let i = 0; i < 5; i++) t.request('10.0.0.1', T0 - 3 * HOUR + i * MIN);
    t.request('10.0.0.1', T0 + 10 * MIN);
    const now = T0 + 20 * MIN;
    const week = t.read('10.0.0.1', { from: now - 7 * DAY, to: now, now });
    expect(week.bucketMs).toBe(HOUR);
    expect(week.requests).toHaveLength(TIMELINE_HOURS);
    expect(week.since).toBe(T0 - (TIMELINE_HOURS - 1) * HOUR);
    const at = (t: number) => week.requests[(t - week.since) / HOUR];
    expect(at(T0 - 6 * DAY)).toBe(1);
    expect(at(T0 - 3 * HOUR)).toBe(5);
    expect(at(T0)).toBe(1);
    expect(sum(week.requests)).toBe(7);

    const day = t.read('10.0.0.1', { from: now - DAY, to: now, now });
    expect(day.requests).toHaveLength(25);
    expect(sum(day.requests)).toBe(6);

    // A custom range in the past: only its own hours.
    const past = t.read('10.0.0.1', { from: T0 - 4 * HOUR, to: T0 - 2 * HOUR, now });
    expect(past.since).toBe(T0 - 4 * HOUR);
    expect(past.requests).toEqual([0, 5]);
  });

  it('forgets hours older than 7 days, also when their slot is reused', () => {
    const t = new ClientTimeline(10);
    t.request('10.0.0.1', T0);
    const later = T0 + TIMELINE_HOURS * HOUR; // the same hour slot
    expect(sum(t.read('10.0.0.1', { from: later - 7 * DAY, to: later, now: later }).requests)).toBe(0);
    t.request('10.0.0.1', later);
    expect(sum(t.read('10.0.0.1', { from: later - 7 * DAY, to: later + 1, now: later + 1 }).requests)).toBe(1);
  });

  it('sums the tracked clients inside a range, IPv6 client keys by their /64', () => {
    const t = new ClientTimeline(10);
    t.request('10.0.0.1', T0);
    t.request('10.0.0.2', T0);
    t.request('10.0.1.1', T0);
    t.request('2001:db8:0:1::/64', T0);
    expect(t.read('10.0.0.0/24', lastHour(T0 + 1)).requests.at(-1)).toBe(2);
    expect(t.read('2001:db8::/48', lastHour(T0 + 1)).requests.at(-1)).toBe(1);
    expect(t.read('192.0.2.0/24', lastHour(T0 + 1)).tracked).toBe(false);
  });

  it('forgets the least recently seen client when full, to the minute', () => {
    const t = new ClientTimeline(3);
    for (const c of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) t.request(c, T0);
    // 10.0.0.1 comes back a minute later: 10.0.0.2 is now the least recently seen.
    t.request('10.0.0.1', T0 + 60_000);
    t.request('10.0.0.4', T0 + 60_000);
    const tracked = (c: string) => t.read(c, lastHour(T0 + 60_000)).tracked;
    expect(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map(tracked)).toEqual([true, false, true, true]);
    expect(sum(t.read('10.0.0.1', lastHour(T0 + 60_000)).requests)).toBe(2);
  });

  it('keeps at most maxClients (least recently seen forgotten first), and prune forgets clients idle for 7 days', () => {
    const t = new ClientTimeline(3);
    for (let i = 0; i < 10; i++) t.request(`10.0.0.${i}`, T0);
    expect(t.size).toBe(3);
    expect(t.read('10.0.0.0', lastHour(T0)).tracked).toBe(false);
    // A forgotten client's storage goes to the next one cleared: each kept client counts only its own.
    for (const c of ['10.0.0.7', '10.0.0.8', '10.0.0.9']) expect(sum(t.read(c, lastHour(T0)).requests)).toBe(1);
    t.request('10.0.0.9', T0 + 2 * DAY);
    // Idle for a day: still kept (its hours are shown for 7 days).
    expect(t.prune(T0 + DAY)).toBe(0);
    expect(t.prune(T0 + TIMELINE_HOURS * HOUR)).toBe(2);
    expect(t.size).toBe(1);
    // A pruned client's storage is reused, cleared.
    t.request('10.0.0.7', T0 + 3 * DAY);
    expect(sum(t.read('10.0.0.7', { from: T0 - DAY, to: T0 + 3 * DAY + 1, now: T0 + 3 * DAY + 1 }).requests)).toBe(1);
  });
});
