import { Pipe, PipeTransform } from '@angular/core';

/** 75 → "1 m 15 s", 3700 → "1 h 01 m", 42 → "42 s". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

@Pipe({ name: 'bnDuration' })
export class DurationPipe implements PipeTransform {
  transform(seconds: number): string {
    return formatDuration(seconds);
  }
}

/** Durations offered wherever an admin blocks a client. */
export const BLOCK_DURATIONS: readonly { label: string; seconds: number }[] = [
  { label: '5 minutes', seconds: 300 },
  { label: '15 minutes', seconds: 900 },
  { label: '1 hour', seconds: 3600 },
  { label: '6 hours', seconds: 21600 },
  { label: '24 hours', seconds: 86400 },
  { label: '7 days', seconds: 604800 },
];

/** The block form and the row actions start from the same duration (D23). */
export const DEFAULT_BLOCK_SECONDS = 3600;
