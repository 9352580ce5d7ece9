import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { SeriesPoint } from '@bouncer/contracts';
import type { ChartConfiguration } from 'chart.js';
import { BaseChartDirective } from 'ng2-charts';

/** Live line chart: requests, 4xx answers and blocks per bucket. */
@Component({
  selector: 'bn-traffic-chart',
  imports: [BaseChartDirective],
  template: `
    <div class="chart-box">
      <canvas
        baseChart
        type="line"
        [data]="data()"
        [options]="options"
        aria-label="Requests, client errors and blocks over the last 15 minutes"
        role="img"
      ></canvas>
    </div>
  `,
  styles: `
    .chart-box {
      position: relative;
      height: 260px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TrafficChart {
  readonly points = input.required<SeriesPoint[]>();

  protected readonly data = computed<ChartConfiguration<'line'>['data']>(() => {
    const pts = this.points();
    return {
      labels: pts.map((p) => new Date(p.t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })),
      datasets: [
        {
          label: 'Requests',
          data: pts.map((p) => p.requests),
          borderColor: '#1f4fd1',
          backgroundColor: 'rgba(31,79,209,0.15)',
          fill: true,
          tension: 0.25,
          pointRadius: 0,
        },
        {
          label: '4xx',
          data: pts.map((p) => p.client_errors),
          borderColor: '#b26b00',
          backgroundColor: '#b26b00',
          tension: 0.25,
          pointRadius: 0,
        },
        {
          label: 'Blocks',
          data: pts.map((p) => p.blocks),
          borderColor: '#b42318',
          backgroundColor: '#b42318',
          tension: 0.25,
          pointRadius: 0,
        },
      ],
    };
  });

  protected readonly options: ChartConfiguration<'line'>['options'] = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: 'index', intersect: false },
    scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 8 } } },
    plugins: { legend: { position: 'bottom' } },
  };
}
