import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { SecurityEvent } from '@bouncer/contracts';
import { EventLine } from '../../console/shared/event-line';

/** The latest security events, newest first. */
@Component({
  selector: 'bn-event-feed',
  imports: [EventLine],
  template: `
    @if (latest().length === 0) {
      <p class="empty">No events yet.</p>
    } @else {
      <!-- Focusable: a keyboard user can scroll it (axe scrollable-region-focusable, D13). -->
      <ol class="feed" tabindex="0" [attr.aria-label]="label()" [attr.data-testid]="testId()">
        @for (e of latest(); track $index) {
          <li><bn-event-line [event]="e" /></li>
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
      padding: 0.35rem 0;
      border-bottom: 1px solid var(--border);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class EventFeed {
  readonly events = input.required<SecurityEvent[]>();
  readonly limit = input(30);
  readonly testId = input('event-feed');
  readonly label = input('Latest events');

  protected readonly latest = computed(() => [...this.events()].sort((a, b) => b.at.localeCompare(a.at)).slice(0, this.limit()));
}
