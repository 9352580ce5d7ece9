import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import type { DecisionView } from '@bouncer/contracts';
import { ClientLink } from '../../console/shared/client-link';
import { BLOCK_DURATIONS, DEFAULT_BLOCK_SECONDS, DurationPipe } from '../duration';

export type DecisionAction =
  | { kind: 'unblock'; client: string }
  | { kind: 'clear'; client: string }
  | { kind: 'block'; client: string; durationSeconds: number; reason: string }
  | { kind: 'allow'; client: string };

/** Blocked or suspicious clients with a local countdown and the admin's actions. */
@Component({
  selector: 'bn-decision-table',
  imports: [DurationPipe, ClientLink],
  templateUrl: './decision-table.html',
  styleUrl: './decision-table.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DecisionTable {
  readonly decisions = input.required<readonly DecisionView[]>();
  readonly state = input.required<'blocked' | 'suspicious'>();
  /** Seconds since the data was fetched; subtracted from `remaining_seconds`. */
  readonly elapsed = input(0);
  readonly busyClient = input<string | null>(null);
  /** The one shared duration picker's choice (D19: no select in every row; D23: the form's default). */
  readonly blockSeconds = input(DEFAULT_BLOCK_SECONDS);
  readonly act = output<DecisionAction>();

  protected readonly blockLabel = computed(() => BLOCK_DURATIONS.find((o) => o.seconds === this.blockSeconds())?.label ?? '');
  protected readonly rows = computed(() =>
    this.decisions().map((d) => ({ ...d, left: Math.max(0, d.remaining_seconds - this.elapsed()) })),
  );

  /** A re-block keeps the rule's reason and says who extended it (D23). */
  protected block(d: DecisionView): void {
    this.act.emit({ kind: 'block', client: d.client, durationSeconds: this.blockSeconds(), reason: keptReason(d.reason) });
  }
}

/** The decision's own reason with the admin's action appended, within the API's 200 characters. */
export function keptReason(reason: string): string {
  const suffix = ' (blocked again from the overview)';
  return reason.length + suffix.length <= 200 ? reason + suffix : reason.slice(0, 200 - suffix.length - 1) + '…' + suffix;
}
