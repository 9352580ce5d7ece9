import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { ClientActivity } from '@bouncer/contracts';
import { bucketLabel } from '../../dashboard/time-range';
import { formatDateTime, timePreferences } from '../shared/date-time';

const WIDTH = 600;
const HEIGHT = 80;

/**
 * A client's requests over the chosen range, as bars (one a minute within the last hour, one an
 * hour beyond); the scale names the unit as the overview's chart does. Presentational: the
 * numbers come in, nothing is fetched. The bars are decoration for sighted users; the caption says the same
 * in words (total, peak and when), so a screen reader gets the data, not "image".
 */
@Component({
  selector: 'bn-request-timeline',
  template: `
    <figure class="timeline" data-testid="client-timeline">
      <svg [attr.viewBox]="'0 0 ' + width + ' ' + (height + 2)" preserveAspectRatio="none" aria-hidden="true" focusable="false">
        <line x1="0" [attr.y1]="height + 1" [attr.x2]="width" [attr.y2]="height + 1" class="axis" />
        @for (b of bars(); track b.x) {
          <rect [attr.x]="b.x" [attr.y]="height - b.h" [attr.width]="b.w" [attr.height]="b.h" class="bar" />
        }
      </svg>
      <div class="scale hint">
        <span>{{ from() }}</span><span data-testid="client-timeline-unit">requests / {{ unit() }} (peak {{ peak().count }})</span
        ><span>{{ to() }}</span>
      </div>
      <figcaption data-testid="client-timeline-summary">{{ summary() }}</figcaption>
    </figure>
  `,
  styles: `
    .timeline {
      margin: 0;
    }
    svg {
      display: block;
      width: 100%;
      height: 5rem;
    }
    .bar {
      fill: var(--accent);
    }
    .axis {
      stroke: var(--muted);
      stroke-width: 1;
    }
    .scale {
      display: flex;
      justify-content: space-between;
      gap: 0.5rem;
      font-size: 0.85rem;
    }
    .scale span {
      white-space: nowrap;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RequestTimeline {
  readonly timeline = input.required<ClientActivity['timeline']>();
  /** The range in words, for the summary: "in the last hour", "from … to …". */
  readonly during = input('in the last hour');
  /** Whether the range ends now (its right end then reads "now"). */
  readonly endsNow = input(true);

  protected readonly width = WIDTH;
  protected readonly height = HEIGHT;

  protected readonly peak = computed(() => {
    const r = this.timeline().requests;
    let i = 0;
    for (let k = 1; k < r.length; k++) if (r[k]! >= r[i]!) i = k;
    return { count: r[i] ?? 0, index: i };
  });

  protected readonly bars = computed(() => {
    const r = this.timeline().requests;
    const max = Math.max(1, this.peak().count);
    const w = WIDTH / Math.max(1, r.length);
    return r.map((n, i) => ({ x: i * w + 0.5, w: Math.max(1, w - 1), h: n === 0 ? 0 : Math.max(2, (n / max) * HEIGHT) }));
  });

  protected readonly unit = computed(() => bucketLabel(this.timeline().bucket_seconds));
  /** Bars of an hour or more span days: their times carry the date. */
  private readonly withDate = computed(() => this.timeline().bucket_seconds >= 3600);
  protected readonly from = computed(() => this.moment(this.timeline().since));
  protected readonly to = computed(() => (this.endsNow() ? 'now' : this.moment(this.timeline().until)));

  protected readonly summary = computed(() => {
    const t = this.timeline();
    if (!t.tracked || t.requests.length === 0) return `No requests from this client ${this.during()} (as this server saw them).`;
    const total = t.requests.reduce((a, b) => a + b, 0);
    const { count, index } = this.peak();
    const at = this.moment(new Date(Date.parse(t.since) + index * t.bucket_seconds * 1000).toISOString());
    const bucket = t.bucket_seconds >= 3600 ? 'hour' : 'minute';
    return `${total} request${total === 1 ? '' : 's'} ${this.during()}; the busiest ${bucket} was ${at} with ${count}.`;
  });

  private moment(iso: string): string {
    timePreferences();
    const text = formatDateTime(iso);
    return this.withDate() ? text.slice(0, 16) : text.slice(11, 16);
  }
}
