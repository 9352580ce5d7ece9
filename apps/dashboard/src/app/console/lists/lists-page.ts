import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import type { ListEntry, ListKind } from '@bouncer/contracts';
import { forkJoin, map } from 'rxjs';
import { toApiFailure } from '../../core/api-failure';
import { BouncerApi } from '../../core/bouncer-api';
import { ClientLink } from '../shared/client-link';
import { ConfirmButton } from '../shared/confirm-button';
import { ConsoleTable, FeedbackBanner } from '../shared/console-table';
import { DateTimePipe } from '../shared/date-time';
import { oneOf, textParam, urlState } from '../shared/url-state';

/** How long a new entry lasts: until removed, or for a while. */
export const ENTRY_DURATIONS = [
  { seconds: 0, label: 'until removed' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 604_800, label: '7 days' },
  { seconds: 2_592_000, label: '30 days' },
] as const;

/** Allow entries whose overridden decisions are counted (one small request each). */
const OVERRIDES_COUNTED = 50;

/**
 * The allow and deny lists: search (in the URL), add with a note and an expiry, remove with a
 * confirm, and for each allow entry the standing decisions on clients inside it (the ones it
 * overrides), linked to the Decisions page.
 */
@Component({
  selector: 'bn-lists-page',
  imports: [FormsModule, RouterLink, ClientLink, ConfirmButton, ConsoleTable, DateTimePipe, FeedbackBanner],
  template: `
    <div class="page">
      <h1>Allow and deny lists</h1>
      <form class="card filters" role="search" aria-label="Search the lists" (ngSubmit)="search()">
        <div class="form-row">
          <div class="field">
            <label for="l-q">Range or note contains</label>
            <input id="l-q" name="q" [(ngModel)]="filter.q" autocomplete="off" />
          </div>
          <div class="field narrow">
            <label for="l-kind">List</label>
            <select id="l-kind" name="kind" [(ngModel)]="filter.kind">
              <option value="any">both</option>
              <option value="allow">allow</option>
              <option value="deny">deny</option>
            </select>
          </div>
          <div class="buttons"><button type="submit" class="btn">Search</button></div>
        </div>
      </form>

      <section class="card" aria-labelledby="entries-title">
        <h2 id="entries-title" data-testid="lists-count">{{ shown().length }} of {{ entries()?.length ?? 0 }} entries</h2>
        <bn-feedback data-testid="lists-feedback" [feedback]="feedback()" />
        @if (shown().length > 0) {
          <bn-console-table caption="List entries" [columns]="columns" testId="lists-table">
            @for (e of shown(); track e.kind + e.cidr) {
              <tr [attr.data-cidr]="e.cidr">
                <td data-label="List">
                  <span class="badge" [class.badge-ok]="e.kind === 'allow'" [class.badge-danger]="e.kind === 'deny'">{{ e.kind }}</span>
                </td>
                <td data-label="Range"><bn-client-link [client]="e.cidr" /></td>
                <td data-label="Note">{{ e.note }}</td>
                <td data-label="Added">
                  <time [attr.datetime]="e.created_at">{{ e.created_at | bnDateTime }}</time>
                  <div class="hint">by {{ e.created_by }}</div>
                </td>
                <td data-label="Expires">
                  @if (e.expires_at) {
                    <time class="nowrap" [attr.datetime]="e.expires_at">{{ e.expires_at | bnDateTime }}</time>
                  } @else {
                    never
                  }
                </td>
                <td data-label="Overrides" [attr.data-testid]="'overrides-' + e.cidr">
                  @if (e.kind === 'allow') {
                    @if (overrides().get(e.cidr); as n) {
                      <a routerLink="/decisions" [queryParams]="{ q: e.cidr }">{{ n }} decision{{ n === 1 ? '' : 's' }}</a>
                    } @else if (overrides().has(e.cidr)) {
                      none
                    } @else {
                      …
                    }
                  } @else {
                    —
                  }
                </td>
                <td data-label="Action">
                  <bn-confirm-button
                    label="Remove"
                    [ariaLabel]="'Remove ' + e.cidr + ' from the ' + e.kind + 'list'"
                    [question]="'Remove ' + e.cidr + '?'"
                    confirmLabel="Remove"
                    [disabled]="busy()"
                    (confirmed)="remove(e)"
                  />
                </td>
              </tr>
            }
          </bn-console-table>
        } @else if (entries()) {
          <p class="empty">No entries match.</p>
        }

        <form class="sub-form" (ngSubmit)="add()" novalidate aria-labelledby="add-title">
          <h3 id="add-title">Add an entry</h3>
          <div class="form-row">
            <div class="field narrow">
              <label for="l-new-kind">List</label>
              <select id="l-new-kind" name="newKind" [(ngModel)]="draft.kind">
                <option value="allow">allow</option>
                <option value="deny">deny</option>
              </select>
            </div>
            <div class="field">
              <label for="l-cidr">Address or range</label>
              <input
                id="l-cidr"
                name="cidr"
                [(ngModel)]="draft.cidr"
                autocomplete="off"
                spellcheck="false"
                [attr.aria-invalid]="addError()?.field === 'cidr' ? 'true' : null"
                [attr.aria-describedby]="addError()?.field === 'cidr' ? 'l-cidr-error' : null"
              />
              @if (addError(); as e) {
                @if (e.field === 'cidr') {
                  <span id="l-cidr-error" class="field-error">{{ e.text }}</span>
                }
              }
            </div>
            <div class="field">
              <label for="l-note">Note</label>
              <input id="l-note" name="note" [(ngModel)]="draft.note" maxlength="300" />
            </div>
            <div class="field narrow">
              <label for="l-for">For</label>
              <select id="l-for" name="for" [(ngModel)]="draft.seconds">
                @for (d of durations; track d.seconds) {
                  <option [value]="'' + d.seconds">{{ d.label }}</option>
                }
              </select>
            </div>
            <button type="submit" class="btn" [disabled]="busy()">Add</button>
          </div>
        </form>
      </section>
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ListsPage {
  protected readonly columns = ['List', 'Range', 'Note', 'Added', 'Expires', 'Overrides', 'Action'];
  private readonly api = inject(BouncerApi);
  private readonly url = urlState();

  protected readonly view = computed(() => {
    const p = this.url.params();
    return { q: textParam(p['q']), kind: oneOf(p['kind'], ['any', 'allow', 'deny'], 'any') };
  });
  protected readonly filter = { q: '', kind: 'any' };
  protected readonly draft = { kind: 'allow' as ListKind, cidr: '', note: '', seconds: '0' };
  protected readonly durations = ENTRY_DURATIONS;
  /** Allow entry -> how many standing decisions lie inside it (absent: not counted yet). */
  protected readonly overrides = signal<ReadonlyMap<string, number>>(new Map());

  protected readonly entries = signal<ListEntry[] | null>(null);
  protected readonly shown = computed(() => {
    const v = this.view();
    const q = v.q.toLowerCase();
    return (this.entries() ?? []).filter(
      (e) => (v.kind === 'any' || e.kind === v.kind) && (!q || e.cidr.includes(q) || e.note.toLowerCase().includes(q)),
    );
  });
  protected readonly busy = signal(false);
  protected readonly feedback = signal<{ ok: boolean; text: string } | null>(null);
  protected readonly addError = signal<{ field: string | null; text: string } | null>(null);

  constructor() {
    effect(() => {
      const v = this.view();
      untracked(() => Object.assign(this.filter, v));
    });
    this.load();
  }

  protected search(): void {
    this.url.set({ q: this.filter.q.trim(), kind: this.filter.kind === 'any' ? '' : this.filter.kind });
  }

  protected load(): void {
    this.api.lists().subscribe({
      next: (e) => {
        this.entries.set(e);
        this.countOverrides(e);
      },
      error: (err: unknown) => this.feedback.set({ ok: false, text: toApiFailure(err).detail }),
    });
  }

  /** For each allow entry: the standing decisions on clients inside it, which it overrides. */
  private countOverrides(entries: ListEntry[]): void {
    const allow = entries.filter((e) => e.kind === 'allow').slice(0, OVERRIDES_COUNTED);
    if (allow.length === 0) return;
    forkJoin(allow.map((e) => this.api.decisions({ q: e.cidr, page_size: 1 }).pipe(map((p) => [e.cidr, p.total] as const))))
      .pipe(map((pairs) => new Map(pairs)))
      .subscribe({
        next: (m) => this.overrides.set(m),
        // The counts are extra: on failure the column keeps "…" and the page works on.
        error: () => undefined,
      });
  }

  protected add(): void {
    const cidr = this.draft.cidr.trim();
    if (!cidr) {
      this.addError.set({ field: 'cidr', text: 'Enter an address or range.' });
      return;
    }
    this.addError.set(null);
    this.busy.set(true);
    const seconds = Number(this.draft.seconds);
    this.api
      .addListEntry({ kind: this.draft.kind, cidr, note: this.draft.note.trim(), ...(seconds > 0 ? { duration_seconds: seconds } : {}) })
      .subscribe({
        next: () => {
          this.busy.set(false);
          this.feedback.set({ ok: true, text: `Added ${cidr} to the ${this.draft.kind}list.` });
          this.draft.cidr = '';
          this.draft.note = '';
          this.draft.seconds = '0';
          this.load();
        },
        error: (err: unknown) => {
          this.busy.set(false);
          const f = toApiFailure(err);
          this.addError.set({ field: f.errors[0]?.field ?? 'cidr', text: f.errors[0]?.message ? `${f.detail}` : f.detail });
          this.feedback.set({ ok: false, text: f.detail });
        },
      });
  }

  protected remove(e: ListEntry): void {
    this.busy.set(true);
    this.api.removeListEntry(e.kind, e.cidr).subscribe({
      next: () => {
        this.busy.set(false);
        this.feedback.set({ ok: true, text: `Removed ${e.cidr} from the ${e.kind}list.` });
        this.load();
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.feedback.set({ ok: false, text: toApiFailure(err).detail });
      },
    });
  }
}
