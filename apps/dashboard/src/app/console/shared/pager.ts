import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';

/** What a paged answer says about itself (`Paged<T>` of @bouncer/contracts). */
export interface PageInfo {
  page: number;
  page_size: number;
  total: number;
  items: readonly unknown[];
}

/** The rows a page shows of all that match: "26–50 of 1,000"; null when nothing matches. */
export function pageRange(p: PageInfo | null): { first: number; last: number; total: number } | null {
  if (!p || p.total === 0 || p.items.length === 0) return null;
  const first = (p.page - 1) * p.page_size + 1;
  return { first, last: first + p.items.length - 1, total: p.total };
}

/** How many pages the matches fill (at least 1). */
export function pageCount(p: PageInfo | null): number {
  return p ? Math.max(1, Math.ceil(p.total / p.page_size)) : 1;
}

/** Where a list paged by cursor can go: the server pages it without a total (the audit log). */
export interface CursorInfo {
  newer: boolean;
  older: boolean;
}

/**
 * The pager under every paged console table. By number: first, previous, "Page n of N", next,
 * last (`go` emits the page). By cursor (`cursor` set): newer and older (`step`). The position
 * lives in the URL, so the host only turns the event into a URL change.
 */
@Component({
  selector: 'bn-pager',
  template: `
    <nav class="pager" [attr.aria-label]="label()">
      @if (cursor(); as c) {
        <button type="button" class="btn btn-small btn-ghost" [disabled]="!c.newer" (click)="step.emit('newer')">Newer</button>
        <button type="button" class="btn btn-small btn-ghost" [disabled]="!c.older" (click)="step.emit('older')">Older</button>
      } @else {
        <button type="button" class="btn btn-small btn-ghost" [disabled]="page() <= 1" (click)="go.emit(1)">First</button>
        <button type="button" class="btn btn-small btn-ghost" [disabled]="page() <= 1" (click)="go.emit(page() - 1)">Previous</button>
        <span>Page {{ page() }} of {{ pages() }}</span>
        <button type="button" class="btn btn-small btn-ghost" [disabled]="page() >= pages()" (click)="go.emit(page() + 1)">Next</button>
        <button type="button" class="btn btn-small btn-ghost" [disabled]="page() >= pages()" (click)="go.emit(pages())">Last</button>
      }
    </nav>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Pager {
  /** The page shown (from the URL: the answer may still be on its way). */
  readonly page = input(1);
  readonly info = input<PageInfo | null>(null);
  /** Set for a list paged by cursor: whether there are newer and older pages. */
  readonly cursor = input<CursorInfo | null>(null);
  /** The navigation's name for screen readers ("Pages of decisions"). */
  readonly label = input.required<string>();
  readonly go = output<number>();
  readonly step = output<'newer' | 'older'>();

  protected readonly pages = computed(() => pageCount(this.info()));
}
