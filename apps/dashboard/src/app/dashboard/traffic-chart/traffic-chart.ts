import { ChangeDetectionStrategy, Component, computed, input, output, signal, viewChild } from '@angular/core';
import type { TrafficHistoryResponse } from '@bouncer/contracts';
import type { Chart, ChartConfiguration, Plugin } from 'chart.js';
import { BaseChartDirective } from 'ng2-charts';
import { formatAxisTime, formatDateTime, formatTime, timePreferences, timeZoneLabel } from '../../console/shared/date-time';
import { bucketLabel } from '../time-range';

/** Where the server's history starts, as a bucket index (null when it covers the whole range). */
function historyStartIndex(s: TrafficHistoryResponse): number | null {
  const since = Date.parse(s.history_since);
  if (since <= Date.parse(s.from)) return null;
  const i = s.points.findIndex((p) => Date.parse(p.t) + s.bucket_seconds * 1000 > since);
  return i < 0 ? null : i;
}

/** Draws the "history since" line where the server's stored history starts (its first start, or the oldest bucket it still keeps). */
const historyMarker: Plugin<'line'> = {
  id: 'bnHistoryMarker',
  afterDatasetsDraw(chart: Chart<'line'>) {
    const index = (chart.options.plugins as { bnHistoryMarker?: { index: number | null } } | undefined)?.bnHistoryMarker?.index;
    if (index === null || index === undefined) return;
    const x = chart.scales['x']!.getPixelForValue(index);
    const { top, bottom } = chart.chartArea;
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = '#6b7280';
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
    ctx.restore();
  },
};

/**
 * Requests, 4xx answers and blocks per bucket over the chosen range. The y axis says what a
 * point counts ("requests / 10 s"); the x axis uses the console's one time format and names the
 * zone. Drag across the chart to zoom into that stretch (the overview puts it in the URL).
 */
@Component({
  selector: 'bn-traffic-chart',
  imports: [BaseChartDirective],
  template: `
    <div
      class="chart-box"
      (pointerdown)="dragStart($event)"
      (pointermove)="dragMove($event)"
      (pointerup)="dragEnd($event)"
      (pointerleave)="dragCancel()"
    >
      <canvas
        baseChart
        type="line"
        [data]="data()"
        [options]="options()"
        [plugins]="plugins"
        [attr.aria-label]="summary()"
        role="img"
        data-testid="traffic-canvas"
      ></canvas>
      @if (selection(); as s) {
        <div class="selection" [style.left.px]="s.left" [style.width.px]="s.width" aria-hidden="true"></div>
      }
    </div>
    <p class="hint chart-note" data-testid="traffic-note">
      One point counts {{ bucket() }}. Drag across the chart to zoom in.
      @if (historyNote(); as h) {
        <span class="history-note" data-testid="history-marker">{{ h }}</span>
      }
    </p>
  `,
  styles: `
    .chart-box {
      position: relative;
      height: 260px;
      touch-action: pan-y;
      cursor: crosshair;
    }
    .selection {
      position: absolute;
      top: 0;
      bottom: 0;
      background: rgba(31, 79, 209, 0.18);
      border: 1px solid #1f4fd1;
      pointer-events: none;
    }
    .chart-note {
      margin: 0.4rem 0 0;
    }
    .history-note {
      display: block;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TrafficChart {
  readonly series = input.required<TrafficHistoryResponse>();
  /** A stretch of the chart the admin dragged across, as epoch milliseconds. */
  readonly zoom = output<{ from: number; to: number }>();

  private readonly chart = viewChild(BaseChartDirective);
  protected readonly plugins = [historyMarker];
  protected readonly selection = signal<{ left: number; width: number } | null>(null);
  private dragFrom: number | null = null;

  protected readonly bucket = computed(() => bucketLabel(this.series().bucket_seconds));
  private readonly historyIndex = computed(() => historyStartIndex(this.series()));

  protected readonly historyNote = computed(() => {
    const s = this.series();
    if (this.historyIndex() === null) return null;
    timePreferences();
    return `History since ${formatTime(Date.parse(s.history_since))}: the server stores traffic from its first start and for 8 days, so nothing before ${formatDateTime(s.history_since)} is known.`;
  });

  protected readonly summary = computed(() => {
    const s = this.series();
    const total = s.points.reduce((n, p) => n + p.requests, 0);
    const blocks = s.points.reduce((n, p) => n + p.blocks, 0);
    return `Traffic from ${formatDateTime(s.from)} to ${formatDateTime(s.to)}: ${total} requests, ${blocks} blocked, ${this.bucket()} per point.`;
  });

  protected readonly data = computed<ChartConfiguration<'line'>['data']>(() => {
    const s = this.series();
    timePreferences();
    const span = Date.parse(s.to) - Date.parse(s.from);
    const start = this.historyIndex() ?? 0;
    // Before the history starts nothing is known: a gap, not a zero.
    const values = (f: (p: TrafficHistoryResponse['points'][number]) => number) => s.points.map((p, i) => (i < start ? null : f(p)));
    return {
      labels: s.points.map((p) => formatAxisTime(Date.parse(p.t), s.bucket_seconds, span)),
      datasets: [
        {
          label: 'Requests',
          data: values((p) => p.requests),
          borderColor: '#1f4fd1',
          backgroundColor: 'rgba(31,79,209,0.15)',
          fill: true,
          tension: 0.25,
          pointRadius: 0,
        },
        {
          label: '4xx answers',
          data: values((p) => p.client_errors),
          borderColor: '#a35a00',
          backgroundColor: '#a35a00',
          borderDash: [6, 3],
          tension: 0.25,
          pointRadius: 0,
        },
        {
          label: 'Blocked requests',
          data: values((p) => p.blocks),
          borderColor: '#b42318',
          backgroundColor: '#b42318',
          tension: 0.25,
          pointRadius: 0,
        },
      ],
    };
  });

  protected readonly options = computed<ChartConfiguration<'line'>['options']>(() => {
    timePreferences();
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: `requests / ${this.bucket()}` } },
        x: { ticks: { maxTicksLimit: 8, maxRotation: 0 }, title: { display: true, text: `Time, ${timeZoneLabel()}` } },
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.formattedValue} / ${this.bucket()}` } },
        ...({ bnHistoryMarker: { index: this.historyIndex() } } as object),
      },
    };
  });

  /** The bucket start under a pixel of the chart box, clamped to the range. */
  private timeAt(x: number): number | null {
    const chart = this.chart()?.chart;
    const s = this.series();
    if (!chart || s.points.length === 0) return null;
    const raw = chart.scales['x']!.getValueForPixel(x);
    const i = Math.min(s.points.length - 1, Math.max(0, Math.round(raw ?? 0)));
    return Date.parse(s.points[i]!.t);
  }

  protected dragStart(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.dragFrom = e.offsetX;
    this.selection.set({ left: e.offsetX, width: 0 });
  }

  protected dragMove(e: PointerEvent): void {
    if (this.dragFrom === null) return;
    this.selection.set({ left: Math.min(this.dragFrom, e.offsetX), width: Math.abs(e.offsetX - this.dragFrom) });
  }

  protected dragEnd(e: PointerEvent): void {
    const start = this.dragFrom;
    this.dragCancel();
    // A click is not a zoom: only a drag of a few pixels is.
    if (start === null || Math.abs(e.offsetX - start) < 8) return;
    const a = this.timeAt(Math.min(start, e.offsetX));
    const b = this.timeAt(Math.max(start, e.offsetX));
    if (a === null || b === null) return;
    this.zoom.emit({ from: a, to: b + this.series().bucket_seconds * 1000 });
  }

  protected dragCancel(): void {
    this.dragFrom = null;
    this.selection.set(null);
  }
}
