import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toApiFailure } from '../../core/api-failure';
import { BouncerApi } from '../../core/bouncer-api';
import { ConsoleTable, ModeBadge } from '../shared/console-table';
import { RoutePolicy } from './route-policy';
import { StoresHealth } from './stores-health';

interface RuleRow {
  id: string;
  kind: string;
  enabled: boolean;
  mode: string;
  params: string;
}

/** Read-only: the rules in force with their thresholds (GET /admin/rules), the stores' health and the gateway's route classes. */
@Component({
  selector: 'bn-settings-page',
  imports: [ConsoleTable, ModeBadge, StoresHealth, RoutePolicy],
  template: `
    <div class="page">
      <h1>Settings</h1>
      <section class="card" aria-labelledby="rules-title">
        <h2 id="rules-title">Rules in force</h2>
        <p class="hint">Read-only. Change them with RULES_FILE (see the README); this is the same document.</p>
        @if (error(); as e) {
          <p class="banner banner-danger" role="alert">{{ e }}</p>
        }
        @if (rows(); as list) {
          <bn-console-table caption="Detection rules" [columns]="columns" testId="rules-table">
            @for (r of list; track r.id) {
              <tr>
                <td data-label="Rule" class="mono">{{ r.id }}</td>
                <td data-label="Kind">{{ r.kind }}</td>
                <td data-label="State">
                  <bn-mode-badge [enabled]="r.enabled" [observe]="r.mode === 'observe'" />
                </td>
                <td data-label="Thresholds" class="mono">{{ r.params }}</td>
              </tr>
            }
          </bn-console-table>
        }
      </section>
      <bn-stores-health />
      <bn-route-policy />
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SettingsPage {
  protected readonly columns = ['Rule', 'Kind', 'State', 'Thresholds'];
  private readonly doc = signal<{ rules?: Record<string, Record<string, unknown>> } | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly rows = computed<RuleRow[] | null>(() => {
    const d = this.doc();
    if (!d) return null;
    return Object.entries(d.rules ?? {}).map(([id, entry]) => {
      const { kind, enabled, mode, ...params } = entry;
      return {
        id,
        kind: typeof kind === 'string' ? kind : id,
        enabled: enabled !== false,
        mode: mode === 'observe' ? 'observe' : 'enforce',
        params: Object.entries(params)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(', '),
      };
    });
  });

  constructor() {
    inject(BouncerApi)
      .rules()
      .subscribe({
        next: (d) => this.doc.set(d),
        error: (err: unknown) => this.error.set(toApiFailure(err).detail),
      });
  }
}
