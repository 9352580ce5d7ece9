import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/** A column header: its label, and `num` for a right-aligned number column. */
export type Column = string | { label: string; num: true };

/**
 * The console's table skeleton: scrolls sideways when narrow, stacks its cells on a phone
 * (`stack`, each cell's `data-label`), a caption for screen readers, one header row. The host
 * projects its `<tr>` rows into the body.
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
            @for (c of columns(); track $index) {
              @if (typeof c === 'string') {
                <th scope="col">{{ c }}</th>
              } @else {
                <th scope="col" class="num">{{ c.label }}</th>
              }
            }
          </tr>
        </thead>
        <tbody>
          <ng-content />
        </tbody>
      </table>
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ConsoleTable {
  readonly caption = input.required<string>();
  readonly columns = input.required<readonly Column[]>();
  /** The table's `data-testid`, for the end-to-end tests. */
  readonly testId = input<string | null>(null);
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
