import { ChangeDetectionStrategy, Component, ElementRef, computed, effect, inject, input, output, signal } from '@angular/core';
import { formatDateTime, parseDateTime, timePreferences, timeZoneLabel } from '../../console/shared/date-time';
import { DEFAULT_REFRESH_S, RANGES, REFRESH_CHOICES, type RangeKey, type ViewRange, rangeBounds } from '../time-range';

/** The custom range's two fields, in the order focus visits them. */
const FIELDS = [
  { key: 'since', label: 'From', example: '2026-12-02 17:40' },
  { key: 'until', label: 'To', example: '2026-12-02 18:40' },
] as const;

/**
 * The console's time range picker: a named range or a custom one (typed in the console's time
 * format and zone), zoom where a chart shows the range, and on the live overview pause and the
 * refresh interval.
 * Presentational: it emits what the admin chose and the page puts it in the URL.
 */
@Component({
  selector: 'bn-range-bar',
  template: `
    <div class="range-bar" role="group" [attr.aria-label]="live() ? 'Time range and refresh' : 'Time range'">
      <div class="seg" role="group" aria-label="Time range">
        @for (r of ranges; track r.key) {
          <button
            type="button"
            class="btn btn-small"
            [class.btn-ghost]="!isActive(r.key)"
            [attr.aria-pressed]="isActive(r.key)"
            [attr.data-testid]="'range-' + r.key"
            (click)="rangeChange.emit({ kind: 'named', key: r.key })"
          >
            {{ r.label }}
          </button>
        }
        <button
          type="button"
          class="btn btn-small"
          [class.btn-ghost]="range().kind !== 'custom'"
          [attr.aria-pressed]="range().kind === 'custom'"
          [attr.aria-expanded]="customOpen()"
          aria-controls="custom-range"
          data-testid="range-custom"
          (click)="toggleCustom()"
        >
          Custom
        </button>
      </div>
      @if (zoomable()) {
        <div class="seg" role="group" aria-label="Zoom">
          <button type="button" class="btn btn-small btn-ghost" data-testid="zoom-in" (click)="zoomBy.emit(0.5)">Zoom in</button>
          <button type="button" class="btn btn-small btn-ghost" data-testid="zoom-out" (click)="zoomBy.emit(2)">Zoom out</button>
        </div>
      }
      @if (live()) {
        <div class="seg">
          <button
            type="button"
            class="btn btn-small"
            [class.btn-ghost]="!paused()"
            [attr.aria-pressed]="paused()"
            data-testid="pause"
            (click)="pausedChange.emit(!paused())"
          >
            {{ paused() ? 'Resume' : 'Pause' }}
          </button>
          <label for="refresh-every" class="inline-label">Refresh every</label>
          <select id="refresh-every" data-testid="refresh-every" [value]="refreshSeconds()" (change)="pickRefresh($event)">
            @for (s of refreshChoices; track s) {
              <option [value]="s" [selected]="s === refreshSeconds()">{{ s < 60 ? s + ' s' : s / 60 + ' min' }}</option>
            }
          </select>
        </div>
      }
    </div>
    <p class="hint range-shown" data-testid="range-shown">
      Showing {{ shown() }} · times in {{ zone() }}
      @if (paused()) {
        · <strong>paused</strong>
      }
    </p>
    @if (customOpen()) {
      <form id="custom-range" class="form-row custom" (submit)="applyCustom($event)" novalidate aria-label="Custom time range">
        @for (f of fields; track f.key) {
          <div class="field">
            <label [for]="'range-' + f.key">{{ f.label }}</label>
            <input
              [id]="'range-' + f.key"
              [name]="f.key"
              [attr.data-testid]="'range-' + f.key"
              [value]="boundsText()[f.key]"
              [placeholder]="f.example"
              autocomplete="off"
              [attr.aria-invalid]="errors()[f.key] !== null"
              [attr.aria-describedby]="errors()[f.key] ? 'range-' + f.key + '-error' : 'range-format'"
            />
            @if (errors()[f.key]; as e) {
              <span [id]="'range-' + f.key + '-error'" class="field-error">{{ e }}</span>
            }
          </div>
        }
        <button type="submit" class="btn btn-small" data-testid="range-apply">Show this range</button>
        <p id="range-format" class="hint">YYYY-MM-DD HH:MM, in {{ zone() }}; {{ note() }}.</p>
      </form>
    }
  `,
  styles: `
    .range-bar {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem 1rem;
      align-items: center;
    }
    .seg {
      display: inline-flex;
      flex-wrap: wrap;
      gap: 0.25rem;
      align-items: center;
    }
    .inline-label {
      margin-left: 0.5rem;
      font-size: 0.88rem;
    }
    .range-shown {
      margin: 0.4rem 0 0;
    }
    .custom {
      margin-top: 0.5rem;
      align-items: flex-end;
    }
    .custom .hint {
      flex-basis: 100%;
      margin: 0;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RangeBar {
  readonly range = input.required<ViewRange>();
  /** The time the shown data was made, so "Showing …" names the real bounds of a named range. */
  readonly now = input.required<number>();
  /** The live overview's controls (pause, refresh); a page read once has none. */
  readonly live = input(true);
  /** Zoom in and out: for a page with a chart of the range (the overview, a client's timeline). */
  readonly zoomable = input(true);
  readonly paused = input(false);
  readonly refreshSeconds = input(DEFAULT_REFRESH_S);
  /** What the format hint adds about the range's limits. */
  readonly note = input('at most the last 7 days are kept');
  readonly rangeChange = output<ViewRange>();
  readonly zoomBy = output<number>();
  readonly pausedChange = output<boolean>();
  readonly refreshChange = output<number>();

  protected readonly ranges = RANGES;
  protected readonly refreshChoices = REFRESH_CHOICES;
  protected readonly customOpen = signal(false);
  /** The custom range's fields, in the order focus visits them. */
  protected readonly fields = FIELDS;
  protected readonly errors = signal<Record<Bound, string | null>>({ since: null, until: null });
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  protected readonly zone = computed(() => {
    timePreferences();
    return timeZoneLabel(this.now());
  });
  protected readonly shown = computed(() => {
    timePreferences();
    const { from, to } = rangeBounds(this.range(), this.now());
    return `${formatDateTime(from).slice(0, 16)} – ${formatDateTime(to).slice(0, 16)}`;
  });
  /** The fields' text: the bounds of the range shown. */
  protected readonly boundsText = computed((): Record<Bound, string> => {
    timePreferences();
    const { from, to } = rangeBounds(this.range(), this.now());
    // Fields hold whole minutes: the end rounds up, so applying them as they are keeps what is shown
    // (a custom range ending at the minute's start would drop the last seconds' events).
    const end = Math.ceil(to / 60_000) * 60_000;
    return { since: formatDateTime(from).slice(0, 16), until: formatDateTime(end).slice(0, 16) };
  });

  constructor() {
    // A custom range from the URL (a shared link) opens its form.
    effect(() => {
      if (this.range().kind === 'custom') this.customOpen.set(true);
    });
  }

  protected isActive(key: RangeKey): boolean {
    const r = this.range();
    return r.kind === 'named' && r.key === key;
  }

  protected toggleCustom(): void {
    this.customOpen.update((v) => !v);
    if (this.customOpen()) setTimeout(() => this.input('since')?.focus());
  }

  protected pickRefresh(e: Event): void {
    this.refreshChange.emit(Number((e.target as HTMLSelectElement).value));
  }

  protected applyCustom(e: Event): void {
    e.preventDefault();
    const text = (key: Bound) => this.input(key)?.value ?? '';
    const since = parseDateTime(text('since'));
    const until = parseDateTime(text('until'));
    const badTime = 'Enter a time as YYYY-MM-DD HH:MM.';
    const errors: Record<Bound, string | null> = {
      since: since === null ? badTime : null,
      until: until === null ? badTime : since !== null && since >= until ? 'The end must be after the start.' : null,
    };
    this.errors.set(errors);
    // Focus goes to the first field the admin has to fix.
    const wrong = this.fields.find((f) => errors[f.key] !== null);
    if (wrong) return this.input(wrong.key)?.focus();
    this.rangeChange.emit({ kind: 'custom', since: since!, until: until! });
  }

  private input(key: Bound): HTMLInputElement | null {
    return this.host.nativeElement.querySelector<HTMLInputElement>(`#range-${key}`);
  }
}

type Bound = 'since' | 'until';
