import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import type { DecisionView } from '@bouncer/contracts';
import { ClientLink } from '../../console/shared/client-link';
import { BLOCK_DURATIONS, DurationPipe } from '../duration';

export type DecisionAction =
  | { kind: 'unblock'; client: string }
  | { kind: 'clear'; client: string }
  | { kind: 'block'; client: string; durationSeconds: number }
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
  readonly decisions = input.required<DecisionView[]>();
  readonly state = input.required<'blocked' | 'suspicious'>();
  /** Seconds since the data was fetched; subtracted from `remaining_seconds`. */
  readonly elapsed = input(0);
  readonly busyClient = input<string | null>(null);
  readonly act = output<DecisionAction>();

  protected readonly durations = BLOCK_DURATIONS;
  protected readonly rows = computed(() =>
    this.decisions().map((d) => ({ ...d, left: Math.max(0, d.remaining_seconds - this.elapsed()) })),
  );

  protected block(client: string, select: HTMLSelectElement): void {
    this.act.emit({ kind: 'block', client, durationSeconds: Number(select.value) });
  }
}
