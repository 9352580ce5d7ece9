import {
  bucketLabel,
  nextPollDelay,
  rangeBounds,
  rangeParams,
  rangeSince,
  rangeQuery,
  readRange,
  readView,
  sameRange,
  zoomBy,
  zoomTo,
} from './time-range';

const now = Date.UTC(2026, 11, 3, 12, 0, 0);
const MIN = 60_000;

describe('overview time range', () => {
  it('reads the view from the URL, falling back on bad values', () => {
    expect(readView({})).toEqual({ range: { kind: 'named', key: '15m' }, refreshSeconds: 2, paused: false });
    expect(readView({ range: '24h', refresh: '30', paused: '1' })).toEqual({
      range: { kind: 'named', key: '24h' },
      refreshSeconds: 30,
      paused: true,
    });
    expect(readView({ range: '1y', refresh: '3' }).range).toEqual({ kind: 'named', key: '15m' });
    expect(readView({ refresh: '3' }).refreshSeconds).toBe(2);
    const custom = readView({ since: '2026-12-03T10:00:00.000Z', until: '2026-12-03T11:00:00.000Z' }).range;
    expect(custom).toEqual({ kind: 'custom', since: now - 2 * 60 * MIN, until: now - 60 * MIN });
    // Reversed or broken custom bounds are ignored.
    expect(readView({ since: '2026-12-03T11:00:00Z', until: '2026-12-03T10:00:00Z' }).range.kind).toBe('named');
    expect(rangeParams(custom)).toEqual({ range: null, since: '2026-12-03T10:00:00.000Z', until: '2026-12-03T11:00:00.000Z' });
    expect(rangeParams({ kind: 'named', key: '15m' })).toEqual({ range: null, since: null, until: null });
  });

  it("reads a page's own default range, and a custom one only with both bounds in order", () => {
    expect(readRange({}, '24h')).toEqual({ kind: 'named', key: '24h' });
    expect(rangeParams({ kind: 'named', key: '24h' }, '24h')).toEqual({ range: null, since: null, until: null });
    expect(rangeParams({ kind: 'named', key: '15m' }, '24h')).toEqual({ range: '15m', since: null, until: null });
    const custom = readRange({ since: '2026-12-03T09:00:00.000Z', until: '2026-12-03T10:00:00.000Z' }, '24h');
    expect(custom).toEqual({ kind: 'custom', since: now - 3 * 60 * MIN, until: now - 2 * 60 * MIN });
    expect(rangeParams(custom, '24h')).toEqual({ range: null, since: '2026-12-03T09:00:00.000Z', until: '2026-12-03T10:00:00.000Z' });
    // A lone `since`, bounds out of order, or no time at all: no range.
    expect(readRange({ since: '2026-12-03T09:00:00.000Z' })).toEqual({ kind: 'named', key: '15m' });
    expect(readRange({ since: '2026-12-03T10:00:00.000Z', until: '2026-12-03T09:00:00.000Z' }, '24h')).toEqual({
      kind: 'named',
      key: '24h',
    });
    expect(readRange({ since: 'soon', until: 'later' }, '24h')).toEqual({ kind: 'named', key: '24h' });
    expect(rangeSince({ kind: 'named', key: '1h' }, now)).toBe('2026-12-03T11:00:00.000Z');
    expect(sameRange(custom, { ...custom })).toBe(true);
    expect(sameRange(custom, { kind: 'named', key: '24h' })).toBe(false);
    expect(sameRange({ kind: 'named', key: '1h' }, { kind: 'named', key: '1h' })).toBe(true);
  });

  it("takes a page's own default range (a client's page: 1 h), kept out of the URL", () => {
    expect(readView({}, '1h').range).toEqual({ kind: 'named', key: '1h' });
    expect(readView({ range: 'nonsense' }, '1h').range).toEqual({ kind: 'named', key: '1h' });
    expect(readView({ range: '15m' }, '1h').range).toEqual({ kind: 'named', key: '15m' });
    expect(rangeParams({ kind: 'named', key: '1h' }, '1h')).toEqual({ range: null, since: null, until: null });
    expect(rangeParams({ kind: 'named', key: '15m' }, '1h')).toEqual({ range: '15m', since: null, until: null });
  });

  it("gives the API's query for a range", () => {
    expect(rangeQuery({ kind: 'named', key: '7d' })).toEqual({ range: '7d' });
    expect(rangeQuery({ kind: 'custom', since: now - 60 * MIN, until: now })).toEqual({
      since: '2026-12-03T11:00:00.000Z',
      until: '2026-12-03T12:00:00.000Z',
    });
  });

  it('zooms by dragging and by buttons, within a minute and the kept week, never past now', () => {
    expect(zoomTo(now - 5 * MIN, now - 10 * MIN)).toEqual({ kind: 'custom', since: now - 10 * MIN, until: now - 5 * MIN });
    expect(zoomTo(now - 10_000, now)).toEqual({ kind: 'custom', since: now - 35_000, until: now + 25_000 });
    const halved = zoomBy({ kind: 'named', key: '1h' }, 0.5, now);
    expect(halved).toEqual({ kind: 'custom', since: now - 45 * MIN, until: now - 15 * MIN });
    const doubled = zoomBy({ kind: 'named', key: '1h' }, 2, now);
    expect(rangeBounds(doubled, now)).toEqual({ from: now - 120 * MIN, to: now });
    expect(rangeBounds(zoomBy({ kind: 'named', key: '7d' }, 2, now), now).from).toBe(now - 7 * 24 * 60 * MIN);
  });

  it('backs off polling while the server fails, up to a minute', () => {
    expect(nextPollDelay(2000, 0)).toBe(2000);
    expect(nextPollDelay(2000, 1)).toBe(4000);
    expect(nextPollDelay(2000, 3)).toBe(16_000);
    expect(nextPollDelay(2000, 10)).toBe(60_000);
    expect(nextPollDelay(60_000, 2)).toBe(60_000);
  });

  it('names the bucket a point counts', () => {
    expect([10, 60, 300, 3600].map(bucketLabel)).toEqual(['10 s', '1 min', '5 min', '1 h']);
  });
});
