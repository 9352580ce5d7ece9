import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { SecurityEvent } from '@bouncer/contracts';
import { ClientLink } from './client-link';
import { DateTimePipe } from './date-time';
import { eventLabel } from './event-labels';

/** Sign-in events name the account that was tried, not someone who acted (D13). */
const TARGET_TYPES = new Set(['login.failed', 'account.delayed', 'login.succeeded', 'login.blocked', 'gateway.login.failed']);

/** `decision.unblocked` is good news: only blocks and denials are shown as danger (D13). */
export function eventTone(type: string): 'danger' | 'ok' | 'plain' {
  if (/(unblock|lifted|cleared|removed|allow)/.test(type)) return 'ok';
  if (/(block|deny|denied|reuse|misuse|failed)/.test(type)) return 'danger';
  return 'plain';
}

/** One audit event in a list: time, type, client (linked), detail, and who acted or was targeted. */
@Component({
  selector: 'bn-event-line',
  imports: [ClientLink, DateTimePipe],
  template: `
    <time class="muted nowrap" [attr.datetime]="event().at">{{ event().at | bnDateTime }}</time>
    <span class="badge" [class.badge-danger]="tone() === 'danger'" [class.badge-ok]="tone() === 'ok'" [attr.title]="event().type">{{
      label()
    }}</span>
    @if (event().client; as c) {
      <bn-client-link [client]="c" />
    }
    <span class="detail">{{ event().detail }}</span>
    @if (event().actor; as a) {
      <span class="muted">{{ targeted() ? 'target: ' : 'by ' }}{{ a }}</span>
    }
  `,
  styles: `
    :host {
      display: flex;
      flex-wrap: wrap;
      gap: 0.2rem 0.5rem;
      align-items: baseline;
    }
    .detail {
      flex: 1 1 12rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class EventLine {
  readonly event = input.required<SecurityEvent>();
  protected readonly tone = computed(() => eventTone(this.event().type));
  protected readonly targeted = computed(() => TARGET_TYPES.has(this.event().type));
  protected readonly label = computed(() => eventLabel(this.event().type));
}
