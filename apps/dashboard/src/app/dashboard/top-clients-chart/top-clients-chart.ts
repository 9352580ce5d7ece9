import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { ClientState, TopClient } from '@bouncer/contracts';
import type { ChartConfiguration } from 'chart.js';
import { BaseChartDirective } from 'ng2-charts';
import { ClientLink } from '../../console/shared/client-link';

/** Bar colours: each at least 4.5:1 against white, so no bar fades into the card (D9). */
const STATE_COLOUR: Record<ClientState, string> = {
  normal: '#1f4fd1',
  suspicious: '#8a5300',
  blocked: '#b42318',
};
const STATES: readonly ClientState[] = ['normal', 'suspicious', 'blocked'];

/**
 * The busiest clients in the current minute, coloured by state, every bar labelled (no skipped
 * labels), with a state legend; the admin's own address (their polling) is tagged "you" (D9).
 * The same numbers are in a table below for screen readers and drill-down links.
 */
@Component({
  selector: 'bn-top-clients-chart',
  imports: [BaseChartDirective, ClientLink],
  template: `
    <div class="chart-box">
      <canvas baseChart type="bar" [data]="data()" [options]="options" [attr.aria-label]="summary()" role="img"></canvas>
    </div>
    <ul class="legend" aria-label="Bar colours">
      @for (s of states; track s) {
        <li><span class="swatch" [style.background]="colour[s]" aria-hidden="true"></span>{{ s }}</li>
      }
    </ul>
    @if (clients().length > 0) {
      <details>
        <summary>As a table</summary>
        <table class="compact" data-testid="top-clients-table">
          <caption class="visually-hidden">
            Busiest clients, requests in the last minute
          </caption>
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col" class="num">Requests / min</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            @for (c of clients(); track c.client) {
              <tr>
                <td><bn-client-link [client]="c.client" />{{ c.client === viewer() ? ' (you)' : '' }}</td>
                <td class="num">{{ c.requests }}</td>
                <td>{{ c.state }}</td>
              </tr>
            }
          </tbody>
        </table>
      </details>
    }
  `,
  styles: `
    /* Fixed: room for all 20 labels, and no layout shift when the number of clients changes between polls. */
    .chart-box {
      position: relative;
      height: 340px;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      gap: 0.3rem 1rem;
      list-style: none;
      margin: 0.4rem 0;
      padding: 0;
      font-size: 0.88rem;
    }
    .swatch {
      display: inline-block;
      width: 0.9rem;
      height: 0.9rem;
      margin-right: 0.35rem;
      vertical-align: -0.1rem;
      border-radius: 2px;
    }
    .compact {
      font-size: 0.88rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TopClientsChart {
  readonly clients = input.required<TopClient[]>();
  /** The admin's own client key, tagged "(you)". */
  readonly viewer = input<string | null>(null);

  protected readonly states = STATES;
  protected readonly colour = STATE_COLOUR;

  protected readonly summary = computed(() => {
    const top = this.clients();
    if (top.length === 0) return 'No traffic in the last minute';
    return `Busiest clients in the last minute: ${top
      .slice(0, 5)
      .map((c) => `${c.client}${c.client === this.viewer() ? ' (you)' : ''} ${c.requests} requests, ${c.state}`)
      .join('; ')}`;
  });

  protected readonly data = computed<ChartConfiguration<'bar'>['data']>(() => {
    const top = this.clients();
    return {
      labels: top.map((c) => (c.client === this.viewer() ? `${c.client} (you)` : c.client)),
      datasets: [
        {
          label: 'Requests in the last minute',
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
    scales: {
      x: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'requests / min' } },
      y: { ticks: { autoSkip: false, font: { size: 11 } } },
    },
    plugins: {
      legend: { display: false },
      tooltip: {
        callbacks: {
          label: (c) => `${c.formattedValue} requests / min, ${this.clients()[c.dataIndex]?.state ?? ''}`,
        },
      },
    },
  };
}
