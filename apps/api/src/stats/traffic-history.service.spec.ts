import { ManualClock } from '@bouncer/detection/testing';
import type { DetectionService } from '../detection';
import { TrafficMonitor } from '../detection/traffic/traffic-monitor';
import { MemoryTrafficHistoryRepository } from './traffic-history.repository.mock';
import type { TrafficHistoryRepository } from './traffic-history.repository';
import { TrafficHistoryService } from './traffic-history.service';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

/** One instance: its own live series (a real TrafficMonitor), or the merged one several instances read. */
function instance(clock: ManualClock, repository: MemoryTrafficHistoryRepository, live = new TrafficMonitor(100, MIN), merged = false) {
  const detection = {
    traffic: async (now: number) => ({ merged, top: [], tracked: 0, series: live.series(now) }),
  } as unknown as DetectionService;
  const service = new TrafficHistoryService(clock, detection, repository as unknown as TrafficHistoryRepository);
  return { service, live };
}

/** `n` requests at the start of every 10-s bucket from now for `minutes`, sampling at each minute's end, as the timer does. */
async function traffic(clock: ManualClock, live: TrafficMonitor, service: TrafficHistoryService, minutes: number, n: number) {
  for (let m = 0; m < minutes; m++) {
    for (let b = 0; b < 6; b++) {
      for (let i = 0; i < n; i++) live.request('10.0.0.1', clock.now());
      clock.advance(10_000);
    }
    await service.sample();
  }
}

const total = (points: { requests: number }[]) => points.reduce((s, p) => s + p.requests, 0);

describe('TrafficHistoryService (persisted history, controllable clock)', () => {
  it('writes one statement per sample with only the buckets that changed, and nothing when nothing did', async () => {
    const clock = new ManualClock(T0);
    const repo = new MemoryTrafficHistoryRepository();
    const { service, live } = instance(clock, repo);
    await service.load();
    await traffic(clock, live, service, 3, 2);
    expect(repo.writes).toBe(3);
    expect(repo.get('minute', T0)?.requests).toBe(12);
    expect(repo.get('minute', T0 + 2 * MIN)?.requests).toBe(12);
    expect(repo.get('hour', T0)?.requests).toBe(36);
    // The same minute sampled again (a second timer tick, a read) changes nothing: no write.
    await service.sample();
    await service.series({ range: '1h' });
    await service.sample();
    expect(repo.writes).toBe(3);
  });

  it('keeps the history across a restart: the earlier minutes come back, the new series zeros do not wipe them, history_since is the oldest bucket', async () => {
    const clock = new ManualClock(T0);
    const repo = new MemoryTrafficHistoryRepository();
    const first = instance(clock, repo);
    await first.service.load();
    await traffic(clock, first.live, first.service, 5, 1);
    await first.service.onModuleDestroy();

    clock.advance(2 * MIN); // down for two minutes
    const restartedAt = clock.now();
    const second = instance(clock, repo);
    await second.service.load();
    await traffic(clock, second.live, second.service, 2, 3);

    const hour = await second.service.series({ range: '1h' });
    expect(hour.bucket_seconds).toBe(60);
    const at = (t: number) => hour.points.find((p) => Date.parse(p.t) === t)?.requests;
    expect(at(T0)).toBe(6);
    expect(at(T0 + 4 * MIN)).toBe(6);
    expect(at(restartedAt)).toBe(18);
    expect(total(hour.points)).toBe(5 * 6 + 2 * 18);
    expect(hour.history_since).toBe(new Date(T0).toISOString());
    // What is stored was not lowered by the new process's empty series.
    expect(repo.get('minute', T0)?.requests).toBe(6);
    expect(repo.get('hour', T0)?.requests).toBe(5 * 6 + 2 * 18);
    // The minutes it was down are not written as quiet minutes of its own series.
    expect(repo.get('minute', T0 + 5 * MIN)).toBeUndefined();
  });

  it('starts with its own start as history_since when nothing is stored', async () => {
    const clock = new ManualClock(T0 + 30_000);
    const { service } = instance(clock, new MemoryTrafficHistoryRepository());
    await service.load();
    expect((await service.series({ range: '1h' })).history_since).toBe(new Date(T0 + 30_000).toISOString());
  });

  it('two instances sampling the one merged series store each bucket once (no double count)', async () => {
    const clock = new ManualClock(T0);
    const repo = new MemoryTrafficHistoryRepository();
    const merged = new TrafficMonitor(100, MIN);
    const a = instance(clock, repo, merged, true);
    const b = instance(clock, repo, merged, true);
    for (let m = 0; m < 3; m++) {
      for (let s = 0; s < 6; s++) {
        merged.request('10.0.0.1', clock.now());
        merged.request('10.0.0.2', clock.now());
        clock.advance(10_000);
      }
      await a.service.sample();
      await b.service.sample();
    }
    expect(repo.get('minute', T0 + MIN)?.requests).toBe(12);
    expect(repo.get('hour', T0)?.requests).toBe(36);
  });

  it('retries buckets whose write failed at the next sample', async () => {
    const clock = new ManualClock(T0);
    const repo = new MemoryTrafficHistoryRepository();
    const { service, live } = instance(clock, repo);
    await service.load();
    repo.failWrites = true;
    await traffic(clock, live, service, 1, 1);
    expect(repo.rows.size).toBe(0);
    repo.failWrites = false;
    await service.sample();
    expect(repo.get('minute', T0)?.requests).toBe(6);
  });

  it('does not hold the shutdown up for more than 2 s when the last write hangs (database unreachable)', async () => {
    jest.useFakeTimers();
    try {
      const clock = new ManualClock(T0);
      const repo = new MemoryTrafficHistoryRepository();
      repo.upsert = () => new Promise<void>(() => undefined);
      const { service, live } = instance(clock, repo);
      live.request('10.0.0.1', T0);
      clock.advance(2 * MIN);
      let done = false;
      const stopping = service.onModuleDestroy().then(() => (done = true));
      await jest.advanceTimersByTimeAsync(1_900);
      expect(done).toBe(false);
      await jest.advanceTimersByTimeAsync(200);
      await stopping;
      expect(done).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('prunes minutes past 24 hours and hours past 8 days (the healing job)', async () => {
    const clock = new ManualClock(T0);
    const repo = new MemoryTrafficHistoryRepository();
    const { service } = instance(clock, repo);
    const now = T0;
    await repo.upsert([
      { granularity: 'minute', start: now - DAY - MIN, requests: 1, client_errors: 0, unauthorized: 0, blocks: 0 },
      { granularity: 'minute', start: now - DAY + MIN, requests: 1, client_errors: 0, unauthorized: 0, blocks: 0 },
      { granularity: 'hour', start: now - 8 * DAY - HOUR, requests: 1, client_errors: 0, unauthorized: 0, blocks: 0 },
      { granularity: 'hour', start: now - 7 * DAY, requests: 1, client_errors: 0, unauthorized: 0, blocks: 0 },
    ]);
    expect(await service.pruneStale(now)).toEqual({ pruned: 2 });
    expect([...repo.rows.keys()].sort()).toEqual([`hour:${now - 7 * DAY}`, `minute:${now - DAY + MIN}`]);
  });

  it('loads hours older than the minute ring, so a 7-day range shows them after a restart', async () => {
    const clock = new ManualClock(T0);
    const repo = new MemoryTrafficHistoryRepository();
    await repo.upsert([{ granularity: 'hour', start: T0 - 3 * DAY, requests: 500, client_errors: 7, unauthorized: 2, blocks: 1 }]);
    const { service } = instance(clock, repo);
    await service.load();
    const week = await service.series({ range: '7d' });
    expect(week.bucket_seconds).toBe(3600);
    expect(week.points.find((p) => Date.parse(p.t) === T0 - 3 * DAY)).toMatchObject({ requests: 500, client_errors: 7, blocks: 1 });
    expect(week.history_since).toBe(new Date(T0 - 3 * DAY).toISOString());
  });
});
