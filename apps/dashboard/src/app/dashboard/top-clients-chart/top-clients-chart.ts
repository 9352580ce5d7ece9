import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { ClientState, TopClient } from '@bouncer/contracts';
import type { ChartConfiguration } from 'chart.js';
import { BaseChartDirective } from 'ng2-charts';

const STATE_COLOUR: Record<ClientState, string> = {
  normal: '#1f4fd1',
  suspicious: '#d68a00',
  blocked: '#b42318',
};

/** Bar chart of the busiest clients in the current window, coloured by state. */
@Component({
  selector: 'bn-top-clients-chart',
  imports: [BaseChartDirective],
  template: `
    <div class="chart-box">
      <canvas baseChart type="bar" [data]="data()" [options]="options" aria-label="Requests of the busiest clients" role="img"></canvas>
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
export class TopClientsChart {
  readonly clients = input.required<TopClient[]>();

  protected readonly data = computed<ChartConfiguration<'bar'>['data']>(() => {
    const top = this.clients();
    return {
      labels: top.map((c) => c.client),
      datasets: [
        {
          label: 'Requests',
          data: top.map((c) => c.requests),
          backgroundColor: top.map((c) => STATE_COLOUR[c.state]),
        },
      ],
    };
  });

  protected readonly options: ChartConfiguration<'bar'>['options'] = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    indexAxis: 'y',
    scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
    plugins: { legend: { display: false } },
  };
}
