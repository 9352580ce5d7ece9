import { Pipe, type PipeTransform } from '@angular/core';

const FORMAT = new Intl.DateTimeFormat('sv-SE', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** The browser's time zone, shown once per page next to the times. */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** One date and time format everywhere in the console: 2026-12-02 17:40:03, 24-hour, local time. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : FORMAT.format(t);
}

@Pipe({ name: 'bnDateTime' })
export class DateTimePipe implements PipeTransform {
  transform(iso: string | null | undefined): string {
    return formatDateTime(iso);
  }
}
