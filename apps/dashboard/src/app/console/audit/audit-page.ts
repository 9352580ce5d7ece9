import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { catchError, map, of, switchMap } from 'rxjs';
import { toApiFailure } from '../../core/api-failure';
import { BouncerApi, type EventPage, type Query } from '../../core/bouncer-api';
import { ClientLink } from '../shared/client-link';
import { ConsoleTable } from '../shared/console-table';
import { DateTimePipe, TIME_ZONE } from '../shared/date-time';
import { eventTone } from '../shared/event-line';
import { Pager } from '../shared/pager';
import { oneOf, textParam, urlState } from '../shared/url-state';

export const RANGES = [
  { id: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: 'all', label: 'All time', ms: 0 },
  { id: 'custom', label: 'Custom', ms: 0 },
] as const;
type RangeId = (typeof RANGES)[number]['id'];
const PAGE = 50;

type Result = { ok: true; page: EventPage } | { ok: false; error: string; field: string | null };

/** `2026-12-02T17:40` (a datetime-local input, local time) to ISO 8601, or '' when empty or invalid. */
export function localToIso(v: string): string {
  if (!v) return '';
  const t = new Date(v);
  return Number.isNaN(t.getTime()) ? '' : t.toISOString();
}

/** ISO 8601 to a datetime-local input's value, in local time. */
export function isoToLocal(v: string): string {
  const t = new Date(v);
  if (!v || Number.isNaN(t.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(t.getHours())}:${pad(t.getMinutes())}`;
}

/**
 * Who did what and when: the audit log filtered by actor, type, client and time range (all in
 * the URL), newest first, paged by the server's cursor, exported whole as CSV or JSON Lines.
 */
@Component({
  selector: 'bn-audit-page',
  imports: [FormsModule, ClientLink, ConsoleTable, DateTimePipe, Pager],
  templateUrl: './audit-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AuditPage {
  private readonly api = inject(BouncerApi);
  private readonly document = inject(DOCUMENT);
  private readonly url = urlState();

  protected readonly ranges = RANGES;
  protected readonly zone = TIME_ZONE;
  protected readonly tone = eventTone;
  protected readonly columns = ['Time', 'Action', 'Client', 'Actor', 'Detail'];

  protected readonly view = computed(() => {
    const p = this.url.params();
    return {
      actor: textParam(p['actor']),
      type: textParam(p['type']),
      client: textParam(p['client']),
      range: oneOf(
        p['range'],
        RANGES.map<RangeId>((r) => r.id),
        '24h',
      ),
      since: textParam(p['since']),
      until: textParam(p['until']),
      cursor: textParam(p['cursor']),
    };
  });

  protected readonly form = { actor: '', type: '', client: '', range: '24h' as RangeId, since: '', until: '' };
  protected readonly result = signal<Result | null>(null);
  protected readonly loading = signal(false);
  protected readonly exporting = signal<string | null>(null);
  protected readonly exportError = signal<string | null>(null);
  /** The cursors of the pages before this one, for Previous (the URL holds only the current). */
  private readonly back: string[] = [];

  constructor() {
    effect(() => {
      const v = this.view();
      untracked(() =>
        Object.assign(this.form, {
          actor: v.actor,
          type: v.type,
          client: v.client,
          range: v.range,
          since: isoToLocal(v.since),
          until: isoToLocal(v.until),
        }),
      );
    });
    toObservable(this.view)
      .pipe(
        switchMap((v) => {
          this.loading.set(true);
          return this.api.events({ ...this.filter(v), limit: PAGE, cursor: v.cursor }).pipe(
            map((page): Result => ({ ok: true, page })),
            catchError((err: unknown) => {
              const f = toApiFailure(err);
              return of<Result>({ ok: false, error: f.detail, field: f.errors[0]?.field ?? null });
            }),
          );
        }),
        takeUntilDestroyed(),
      )
      .subscribe((r) => {
        this.loading.set(false);
        this.result.set(r);
      });
  }

  protected fieldError(field: string): string | null {
    const r = this.result();
    return r && !r.ok && r.field === field ? r.error : null;
  }

  protected search(): void {
    const f = this.form;
    this.back.length = 0;
    this.url.set({
      actor: f.actor.trim(),
      type: f.type.trim(),
      client: f.client.trim(),
      range: f.range === '24h' ? '' : f.range,
      since: f.range === 'custom' ? localToIso(f.since) : '',
      until: f.range === 'custom' ? localToIso(f.until) : '',
      cursor: '',
    });
  }

  protected reset(): void {
    this.back.length = 0;
    this.url.set({ actor: '', type: '', client: '', range: '', since: '', until: '', cursor: '' });
  }

  protected older(next: string): void {
    this.back.push(this.view().cursor);
    this.url.set({ cursor: next });
  }

  protected newer(): void {
    this.url.set({ cursor: this.back.pop() ?? '' });
  }

  protected hasNewer(): boolean {
    return this.view().cursor !== '';
  }

  /** The whole filtered log, streamed by the server; saved as a file here. */
  protected export(format: 'csv' | 'jsonl'): void {
    this.exporting.set(format);
    this.exportError.set(null);
    this.api.exportEvents(this.filter(this.view()), format).subscribe({
      next: (blob) => {
        this.exporting.set(null);
        const a = this.document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = `bouncer-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.${format}`;
        this.document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      },
      error: (err: unknown) => {
        this.exporting.set(null);
        this.exportError.set(toApiFailure(err).detail);
      },
    });
  }

  /** The API's filter for a view; a relative range is taken from now, as in Grafana. */
  private filter(v: ReturnType<AuditPage['view']>): Query {
    const range = RANGES.find((r) => r.id === v.range);
    const since = v.range === 'custom' ? v.since : range && range.ms > 0 ? new Date(Date.now() - range.ms).toISOString() : '';
    return { actor: v.actor, type: v.type, client: v.client, since, until: v.range === 'custom' ? v.until : '' };
  }
}
