import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import type { ClientActivity, DecisionView, ListEntry, SecurityEvent } from '@bouncer/contracts';
import { type Observable, forkJoin } from 'rxjs';
import { toApiFailure } from '../../core/api-failure';
import { BouncerApi } from '../../core/bouncer-api';
import { BLOCK_DURATIONS, DurationPipe } from '../../dashboard/duration';
import { RangeBar } from '../../dashboard/range-bar/range-bar';
import { RANGES, type ViewRange, rangeParams, rangeQuery, readView, zoomBy } from '../../dashboard/time-range';
import { ConfirmButton } from '../shared/confirm-button';
import { FeedbackBanner } from '../shared/console-table';
import { DateTimePipe, TIME_ZONE, formatDateTime } from '../shared/date-time';
import { EventLine } from '../shared/event-line';
import { asCidr, overlaps } from '../shared/ranges';
import { urlState } from '../shared/url-state';
import { RequestTimeline } from './request-timeline';

/** Without a range in the URL the timeline shows the last hour, as it did before it had a picker. */
const TIMELINE_DEFAULT_RANGE = '1h';

interface Feedback {
  ok: boolean;
  text: string;
}

/**
 * One client (an address or a range): its decisions now and before, its request timeline, its
 * events, the accounts it guessed at, the sign-ins and sessions seen from it, its list status,
 * and the actions on it, all on one page at /clients/<address>. The timeline's range is the
 * console's picker (the overview's), in the URL (`range`, or `since` and `until`; 1 h by default).
 */
@Component({
  selector: 'bn-client-page',
  imports: [FormsModule, RouterLink, DurationPipe, DateTimePipe, ConfirmButton, EventLine, FeedbackBanner, RangeBar, RequestTimeline],
  templateUrl: './client-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ClientPage {
  private readonly api = inject(BouncerApi);
  private readonly url = urlState();
  /** From the route (`/clients/:client`). */
  readonly client = input.required<string>();
  /** The timeline's range, from the URL; the page does not poll, so only the range of the view counts. */
  protected readonly view = computed(() => ({ ...readView(this.url.params(), TIMELINE_DEFAULT_RANGE), paused: false }), {
    equal: (a, b) => JSON.stringify(a.range) === JSON.stringify(b.range),
  });
  /** When the shown activity was read: the picker's "Showing …" names its real bounds. */
  protected readonly activityTime = signal(Date.now());
  /** The range in words, for the timeline's summary. */
  protected readonly during = computed(() => {
    const r = this.view().range;
    if (r.kind === 'named') return `in the last ${r.key === '1h' ? 'hour' : RANGES.find((n) => n.key === r.key)!.label}`;
    return `from ${formatDateTime(r.since).slice(0, 16)} to ${formatDateTime(r.until).slice(0, 16)}`;
  });
  /** Answers to older range choices are dropped: only the latest one is shown. */
  private activityRequest = 0;

  protected readonly durations = BLOCK_DURATIONS;
  protected readonly zone = TIME_ZONE;
  protected readonly decisions = signal<DecisionView[] | null>(null);
  protected readonly history = signal<SecurityEvent[] | null>(null);
  protected readonly events = signal<SecurityEvent[] | null>(null);
  protected readonly nextEvents = signal<string | null>(null);
  protected readonly lists = signal<ListEntry[] | null>(null);
  /** Its request timeline, the accounts it guessed at, the sign-ins and sessions seen from it. */
  protected readonly activity = signal<ClientActivity | null>(null);
  protected readonly loadError = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly feedback = signal<Feedback | null>(null);
  protected readonly blockError = signal<{ field: string | null; text: string } | null>(null);

  protected readonly blocked = computed(() => this.decisions()?.find((d) => d.state === 'blocked' && d.client === this.client()) ?? null);
  protected readonly suspicious = computed(
    () => this.decisions()?.find((d) => d.state === 'suspicious' && d.client === this.client()) ?? null,
  );
  /** Decisions on wider ranges that cover this client. */
  protected readonly covering = computed(() => this.decisions()?.filter((d) => d.client !== this.client()) ?? []);
  protected readonly listEntries = computed(() => this.lists()?.filter((e) => overlaps(e.cidr, this.client())) ?? null);

  /** The action forms keep what was typed until the server accepts it. */
  protected readonly blockForm = { seconds: '3600', reason: '' };
  protected readonly listNote = { text: '' };

  constructor() {
    effect(() => {
      this.client();
      untracked(() => this.loadDetails());
    });
    // The timeline follows the client and the range; the rest of the page does not depend on the range.
    effect(() => {
      this.client();
      this.view();
      untracked(() => this.loadActivity());
    });
  }

  protected load(): void {
    this.loadDetails();
    this.loadActivity();
  }

  protected changeRange(range: ViewRange): void {
    this.url.set(rangeParams(range, TIMELINE_DEFAULT_RANGE));
  }

  protected zoomRange(factor: number): void {
    this.url.set(rangeParams(zoomBy(this.view().range, factor, Date.now()), TIMELINE_DEFAULT_RANGE));
  }

  private loadDetails(): void {
    const client = this.client();
    this.loadError.set(null);
    forkJoin({
      decisions: this.api.decisions({ q: client, page_size: 100 }),
      history: this.api.events({ client, type: 'decision.', limit: 100 }),
      events: this.api.events({ client, limit: 50 }),
      lists: this.api.lists(),
    }).subscribe({
      next: (r) => {
        this.decisions.set(r.decisions.items);
        this.history.set(r.history.items);
        this.events.set(r.events.items);
        this.nextEvents.set(r.events.next);
        this.lists.set(r.lists);
      },
      error: (err: unknown) => this.loadError.set(toApiFailure(err).detail),
    });
  }

  private loadActivity(): void {
    const request = ++this.activityRequest;
    const asked = Date.now();
    this.api.clientActivity(this.client(), rangeQuery(this.view().range)).subscribe({
      next: (a) => {
        if (request !== this.activityRequest) return;
        this.activityTime.set(asked);
        this.activity.set(a);
      },
      error: (err: unknown) => {
        if (request === this.activityRequest) this.loadError.set(toApiFailure(err).detail);
      },
    });
  }

  protected moreEvents(): void {
    const cursor = this.nextEvents();
    if (!cursor) return;
    this.api.events({ client: this.client(), limit: 50, cursor }).subscribe({
      next: (page) => {
        this.events.update((e) => [...(e ?? []), ...page.items]);
        this.nextEvents.set(page.next);
      },
      error: (err: unknown) => this.feedback.set({ ok: false, text: toApiFailure(err).detail }),
    });
  }

  protected block(): void {
    const reason = this.blockForm.reason.trim();
    if (!reason) {
      this.blockError.set({ field: 'reason', text: 'Say why: the reason is kept for admins (the client never sees it).' });
      return;
    }
    this.blockError.set(null);
    const call = this.api.block({ client: this.client(), duration_seconds: Number(this.blockForm.seconds), reason });
    this.run(
      call,
      `Blocked ${this.client()}.`,
      () => (this.blockForm.reason = ''),
      (f) => this.blockError.set(f),
    );
  }

  protected unblock(): void {
    this.run(this.api.unblock(this.client()), `Lifted the block on ${this.client()}.`);
  }

  protected clearSuspicion(): void {
    this.run(this.api.clearSuspicion(this.client()), `Cleared the suspicion of ${this.client()}.`);
  }

  protected addToList(kind: 'allow' | 'deny'): void {
    const note = this.listNote.text.trim() || `${kind === 'allow' ? 'Allowed' : 'Denied'} from the client page`;
    this.run(
      this.api.addListEntry({ kind, cidr: asCidr(this.client()), note }),
      `Added ${this.client()} to the ${kind}list.`,
      () => (this.listNote.text = ''),
    );
  }

  protected removeFromList(e: ListEntry): void {
    this.run(this.api.removeListEntry(e.kind, e.cidr), `Removed ${e.cidr} from the ${e.kind}list.`);
  }

  private run(
    call: Observable<unknown>,
    text: string,
    onOk?: () => void,
    onFieldError?: (f: { field: string | null; text: string }) => void,
  ): void {
    this.busy.set(true);
    this.feedback.set(null);
    call.subscribe({
      next: () => {
        this.busy.set(false);
        this.feedback.set({ ok: true, text });
        onOk?.();
        this.load();
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const f = toApiFailure(err);
        this.feedback.set({ ok: false, text: f.detail });
        onFieldError?.({ field: f.errors[0]?.field ?? null, text: f.errors[0]?.message ?? f.detail });
      },
    });
  }
}
