import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';

/**
 * A column header: its label; `num` for a right-aligned number column; `sort` makes the header
 * a button that asks to sort by that key.
 */
export type Column = string | { label: string; num?: true; sort?: string };

/** The column the rows are sorted by and which way, as `aria-sort` says it. */
export interface SortState {
  key: string;
  direction: 'ascending' | 'descending';
}

/**
 * The console's table skeleton: scrolls sideways when narrow, stacks its cells on a phone
 * (`stack`, each cell's `data-label`), a caption for screen readers, one header row whose
 * sortable headers are buttons (the sorted one carries `aria-sort`). The host projects its
 * `<tr>` rows into the body, and any `<th>` of its own (a select-all box) before the columns.
 */
@Component({
  selector: 'bn-console-table',
  template: `
    <div class="table-wrap">
      <table class="stack" [attr.data-testid]="testId()">
        <caption class="visually-hidden">
          {{
            caption()
          }}
        </caption>
        <thead>
          <tr>
            <ng-content select="th" />
            @for (h of headers(); track $index) {
              <th scope="col" [class.num]="h.num" [attr.aria-sort]="h.sort && h.sort === sort()?.key ? sort()!.direction : null">
                @if (h.sort; as key) {
                  <button type="button" class="sort" (click)="sortBy.emit(key)">{{ h.label }}</button>
                } @else {
                  {{ h.label }}
                }
              </th>
            }
          </tr>
        </thead>
        <tbody>
          <ng-content />
        </tbody>
      </table>
    </div>
  `,
  styles: `
    th .sort {
      font: inherit;
      text-transform: inherit;
      letter-spacing: inherit;
      color: inherit;
      background: none;
      border: 0;
      padding: 0;
      cursor: pointer;
      text-decoration: underline dotted;
    }
    th[aria-sort='ascending'] .sort::after {
      content: ' ▲';
    }
    th[aria-sort='descending'] .sort::after {
      content: ' ▼';
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ConsoleTable {
  readonly caption = input.required<string>();
  readonly columns = input.required<readonly Column[]>();
  /** The table's `data-testid`, for the end-to-end tests. */
  readonly testId = input<string | null>(null);
  /** How the rows are sorted, for the headers that sort; null when no sortable column is. */
  readonly sort = input<SortState | null>(null);
  /** A sortable header was pressed: the host decides the order and puts it in the URL. */
  readonly sortBy = output<string>();

  protected readonly headers = computed(() =>
    this.columns().map((c) =>
      typeof c === 'string' ? { label: c, num: false, sort: null } : { label: c.label, num: !!c.num, sort: c.sort ?? null },
    ),
  );
}

/** Whether a rule or route class acts: off, observed (recorded, not enforced) or enforced. */
@Component({
  selector: 'bn-mode-badge',
  template: `
    @if (!enabled()) {
      <span class="badge">off</span>
    } @else if (observe()) {
      <span class="badge badge-warn">observed</span>
    } @else {
      <span class="badge badge-ok">enforced</span>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ModeBadge {
  readonly observe = input.required<boolean>();
  readonly enabled = input(true);
}

/** What the last action did, next to where it was done: a polite live region that speaks only when it changes. */
@Component({
  selector: 'bn-feedback',
  template: `
    <div role="status" class="feedback">
      @if (feedback(); as f) {
        <p class="banner" [class.banner-ok]="f.ok" [class.banner-danger]="!f.ok">{{ f.text }}</p>
      }
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class FeedbackBanner {
  readonly feedback = input.required<{ ok: boolean; text: string } | null>();
}
