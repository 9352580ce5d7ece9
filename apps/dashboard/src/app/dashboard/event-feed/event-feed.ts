import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { SecurityEvent } from '@bouncer/contracts';

/** The latest security events, newest first. */
@Component({
  selector: 'bn-event-feed',
  imports: [DatePipe],
  template: `
    @if (latest().length === 0) {
      <p class="empty">No events yet.</p>
    } @else {
      <ol class="feed" [attr.data-testid]="testId()">
        @for (e of latest(); track $index) {
          <li>
            <time [attr.datetime]="e.at" class="muted">{{ e.at | date: 'HH:mm:ss' }}</time>
            <span class="badge" [class.badge-danger]="e.type.includes('block')">{{ e.type }}</span>
            @if (e.client) {
              <span class="mono">{{ e.client }}</span>
            }
            <span class="detail">{{ e.detail }}</span>
            @if (e.actor) {
              <span class="muted">by {{ e.actor }}</span>
            }
          </li>
        }
      </ol>
    }
  `,
  styles: `
    .feed {
      list-style: none;
      margin: 0;
      padding: 0;
      max-height: 22rem;
      overflow-y: auto;
      font-size: 0.88rem;
    }
    .feed li {
      display: flex;
      flex-wrap: wrap;
      gap: 0.2rem 0.5rem;
      padding: 0.35rem 0;
      border-bottom: 1px solid var(--border);
    }
    .detail {
      flex: 1 1 12rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class EventFeed {
  readonly events = input.required<SecurityEvent[]>();
  readonly limit = input(30);
  readonly testId = input('event-feed');

  protected readonly latest = computed(() => [...this.events()].sort((a, b) => b.at.localeCompare(a.at)).slice(0, this.limit()));
}
