import { formatAxisTime, formatDateTime, formatTime, parseDateTime, setTimePreferences, timeZoneLabel } from './date-time';

describe('date-time: the one format', () => {
  afterEach(() => setTimePreferences({ timeZone: '', hour12: false }));
  const t = Date.UTC(2026, 11, 2, 17, 40, 3);

  it('formats 24-hour in the chosen zone', () => {
    setTimePreferences({ timeZone: 'UTC', hour12: false });
    expect(formatDateTime(new Date(t).toISOString())).toBe('2026-12-02 17:40:03');
    expect(formatTime(t)).toBe('17:40');
    setTimePreferences({ timeZone: 'Asia/Tokyo', hour12: false });
    expect(formatDateTime(t)).toBe('2026-12-03 02:40:03');
    expect(timeZoneLabel(t)).toBe('Asia/Tokyo (UTC+09:00)');
  });

  it('offers a 12-hour clock and keeps the choice in localStorage', () => {
    setTimePreferences({ timeZone: 'UTC', hour12: true });
    expect(formatDateTime(t)).toBe('2026-12-02 05:40:03 PM');
    expect(formatTime(Date.UTC(2026, 0, 1, 0, 5), false)).toBe('12:05 AM');
    expect(JSON.parse(localStorage.getItem('bouncer.time') ?? '{}')).toEqual({ timeZone: 'UTC', hour12: true });
  });

  it('refuses an unknown zone (the browser zone is used) and keeps bad input visible', () => {
    setTimePreferences({ timeZone: 'Mars/Olympus', hour12: false });
    expect((JSON.parse(localStorage.getItem('bouncer.time') ?? '{}') as { timeZone: string }).timeZone).toBe('');
    expect(formatDateTime('not a date')).toBe('not a date');
    expect(formatDateTime(null)).toBe('');
  });

  it('labels chart axes with seconds only for 10-s buckets and the date only past a day', () => {
    setTimePreferences({ timeZone: 'UTC', hour12: false });
    expect(formatAxisTime(t, 10, 900_000)).toBe('17:40:03');
    expect(formatAxisTime(t, 300, 86_400_000)).toBe('17:40');
    expect(formatAxisTime(t, 3600, 7 * 86_400_000)).toBe('12-02 17:40');
  });

  it('reads a typed time back in the shown zone, in the format it prints', () => {
    setTimePreferences({ timeZone: 'Asia/Tokyo', hour12: false });
    expect(parseDateTime('2026-12-03 02:40:03')).toBe(t);
    expect(parseDateTime('2026-12-03 02:40')).toBe(t - 3000);
    setTimePreferences({ timeZone: 'Europe/Berlin', hour12: false });
    expect(parseDateTime('2026-07-01 12:00')).toBe(Date.UTC(2026, 6, 1, 10, 0));
    expect(parseDateTime('2026-02-30 12:00')).toBeNull();
    expect(parseDateTime('yesterday')).toBeNull();
  });
});
