import { Pipe, type PipeTransform, signal } from '@angular/core';

/**
 * The one date and time formatter of the console. Every time on every page and chart axis goes
 * through here, so they all read the same: `2026-12-02 17:40:03`, in the admin's chosen time
 * zone and clock (24-hour unless they chose 12-hour). The choice is a display preference, kept
 * in localStorage (not a secret, per browser).
 */
export interface TimePreferences {
  /** An IANA zone (`Europe/Berlin`, `UTC`), or '' for the browser's own. */
  timeZone: string;
  hour12: boolean;
}

const KEY = 'bouncer.time';
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Zones offered in the picker: the browser's, UTC and the common ones; any valid IANA name is accepted. */
export const COMMON_TIME_ZONES: readonly string[] = [
  ...new Set([
    BROWSER_ZONE,
    'UTC',
    'Europe/London',
    'Europe/Berlin',
    'Europe/Helsinki',
    'America/New_York',
    'America/Chicago',
    'America/Los_Angeles',
    'America/Sao_Paulo',
    'Asia/Kolkata',
    'Asia/Singapore',
    'Asia/Tokyo',
    'Australia/Sydney',
  ]),
];

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function readPreferences(): TimePreferences {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<TimePreferences>;
    const zone = typeof raw.timeZone === 'string' && raw.timeZone !== '' && isTimeZone(raw.timeZone) ? raw.timeZone : '';
    return { timeZone: zone, hour12: raw.hour12 === true };
  } catch {
    return { timeZone: '', hour12: false };
  }
}

const preferences = signal<TimePreferences>(readPreferences());

/** The current choice, as a signal: what reads it re-renders when the admin changes it. */
export const timePreferences = preferences.asReadonly();

export function setTimePreferences(next: TimePreferences): void {
  const clean = { timeZone: next.timeZone !== '' && isTimeZone(next.timeZone) ? next.timeZone : '', hour12: next.hour12 };
  preferences.set(clean);
  try {
    localStorage.setItem(KEY, JSON.stringify(clean));
  } catch {
    // Storage refused (private mode): the choice lasts for this page only.
  }
}

/** The zone times are shown in, by IANA name. */
export function shownTimeZone(): string {
  return preferences().timeZone || BROWSER_ZONE;
}

/**
 * The zone in force when the page loaded (the admin's choice, else the browser's). A page that
 * names the zone should prefer `timeZoneLabel()` in a computed, which follows a change at once.
 */
export const TIME_ZONE = preferences().timeZone || BROWSER_ZONE;

interface Formatters {
  key: string;
  full: Intl.DateTimeFormat;
  minutes: Intl.DateTimeFormat;
}
let cache: Formatters | null = null;

function formatters(): Formatters {
  const p = preferences();
  const key = `${p.timeZone}|${p.hour12}`;
  if (cache?.key === key) return cache;
  const base: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    // Always 0-23 here; the 12-hour clock is derived below (sv-SE would name the periods in Swedish).
    hourCycle: 'h23',
    timeZone: p.timeZone || undefined,
  };
  // sv-SE gives ISO-like order (2026-12-02 17:40:03) in every zone.
  cache = {
    key,
    full: new Intl.DateTimeFormat('sv-SE', { ...base, second: '2-digit' }),
    minutes: new Intl.DateTimeFormat('sv-SE', base),
  };
  return cache;
}

function parts(t: number, seconds: boolean): { date: string; time: string } {
  const f = formatters();
  const all = (seconds ? f.full : f.minutes).formatToParts(new Date(t));
  const get = (type: Intl.DateTimeFormatPartTypes) => all.find((x) => x.type === type)?.value ?? '';
  const h = Number(get('hour'));
  const hour12 = preferences().hour12;
  const hour = hour12 ? String(h % 12 || 12).padStart(2, '0') : get('hour');
  const time = `${hour}:${get('minute')}${seconds ? `:${get('second')}` : ''}${hour12 ? (h < 12 ? ' AM' : ' PM') : ''}`;
  return { date: `${get('year')}-${get('month')}-${get('day')}`, time };
}

/** 2026-12-02 17:40:03 (or 05:40:03 PM with the 12-hour clock). */
export function formatDateTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const p = parts(t, true);
  return `${p.date} ${p.time}`;
}

/** 17:40 or 17:40:03: the time of day alone, for labels within one day. */
export function formatTime(t: number, seconds = false): string {
  return parts(t, seconds).time;
}

/**
 * A chart axis label for a bucket start: seconds only when buckets are shorter than a minute,
 * the date (MM-DD) only when the range spans more than a day.
 */
export function formatAxisTime(t: number, bucketSeconds: number, spanMs: number): string {
  const p = parts(t, bucketSeconds < 60);
  return spanMs > 86_400_000 ? `${p.date.slice(5)} ${p.time}` : p.time;
}

/** Milliseconds the shown zone is ahead of UTC at instant t. */
function zoneOffset(t: number): number {
  const f = new Intl.DateTimeFormat('sv-SE', {
    timeZone: shownTimeZone(),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(t));
  const n = (type: Intl.DateTimeFormatPartTypes) => Number(f.find((x) => x.type === type)?.value);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - (t - (t % 1000));
}

/**
 * "2026-12-02 17:40" (or with seconds) typed by the admin, read in the shown zone: the same
 * format the console prints, so a time copied from a page can be pasted back. Null if it is not one.
 */
export function parseDateTime(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return null;
  const wall = Date.UTC(y, mo - 1, d, h, mi, se);
  if (new Date(wall).getUTCDate() !== d) return null;
  // Two passes settle a guess that crossed a daylight-saving change.
  let t = wall - zoneOffset(wall);
  t = wall - zoneOffset(t);
  return t;
}

/** The zone as people read it: "Europe/Berlin (UTC+01:00)". */
export function timeZoneLabel(at = Date.now()): string {
  const zone = shownTimeZone();
  const offset =
    new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(new Date(at))
      .find((x) => x.type === 'timeZoneName')?.value ?? '';
  return `${zone} (${offset === 'GMT' ? 'UTC' : offset.replace('GMT', 'UTC')})`;
}

/**
 * Impure so a change of zone or clock shows at once everywhere; the formatters are cached and
 * the result is kept per input, so a check costs a string compare.
 */
@Pipe({ name: 'bnDateTime', pure: false })
export class DateTimePipe implements PipeTransform {
  private last: { input: string | null | undefined; prefs: TimePreferences; out: string } | null = null;

  transform(iso: string | null | undefined): string {
    const prefs = preferences();
    if (this.last && this.last.input === iso && this.last.prefs === prefs) return this.last.out;
    const out = formatDateTime(iso);
    this.last = { input: iso, prefs, out };
    return out;
  }
}
