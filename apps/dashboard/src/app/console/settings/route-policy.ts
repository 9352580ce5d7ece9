import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import type { ReadinessResponse } from '@bouncer/contracts';
import { toApiFailure } from '../../core/api-failure';
import { ConsoleTable, ModeBadge } from '../shared/console-table';
import { type RoutePolicyView, SettingsApi } from './settings-api';

export interface RouteClassRow {
  name: string;
  match: string;
  auth: string;
  limits: string;
  onStoreDown: string;
  observe: boolean;
  signIn: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
/** A policy value as text (the document is the API's; anything unexpected is shown as JSON). */
const text = (v: unknown, fallback: string): string =>
  v === undefined || v === null ? fallback : typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);

function authText(auth: unknown): string {
  if (auth === undefined || auth === 'public') return 'public';
  if (auth === 'token') return 'any signed-in user';
  const role = obj(auth)['role'];
  return typeof role === 'string' ? `role ${role}` : JSON.stringify(auth);
}

function limitsText(limits: unknown): string {
  const parts = Object.entries(obj(limits)).map(([who, l]) => {
    const { limit, window_seconds } = obj(l);
    return `${text(limit, '?')} per ${text(window_seconds, '?')} s per ${who === 'client' ? 'address' : who === 'subject' ? 'user' : 'admin'}`;
  });
  return parts.length > 0 ? parts.join('; ') : 'global rules only';
}

/** One row per class of the policy document (the `default` class last), in the words an admin reads. */
export function routeClassRows(policy: Obj): RouteClassRow[] {
  const classes = Array.isArray(policy['classes']) ? (policy['classes'] as unknown[]) : [];
  const rows = classes.map((c) => obj(c));
  const all = [...rows, { name: 'default', ...obj(policy['default']) }];
  return all.map((c) => {
    const match = obj(c['match']);
    const methods = Array.isArray(match['methods']) ? (match['methods'] as string[]).join(', ') : 'any method';
    const signIn = obj(c['sign_in']);
    return {
      name: text(c['name'], '?'),
      match: c['name'] === 'default' && !c['match'] ? 'everything else' : `${methods} ${text(match['path'], '')}`.trim(),
      auth: authText(c['auth']),
      limits: limitsText(c['rate_limits']),
      onStoreDown: text(c['on_store_down'], 'local'),
      observe: c['observe'] === true,
      signIn: signIn['username_field'] ? `sign-in route (username in "${text(signIn['username_field'], '')}")` : '',
    };
  });
}

const STORE_DOWN: Record<string, string> = {
  local: 'count on this instance alone',
  open: 'pass uncounted (blocks still refuse)',
  closed: 'refuse with 503',
};

/** Settings: the gateway's route classes, with auth, limits, store-down behaviour and observe mode. */
@Component({
  selector: 'bn-route-policy',
  imports: [ConsoleTable, ModeBadge],
  template: `
    <section class="card" aria-labelledby="policy-title">
      <h2 id="policy-title">Route classes of the gateway policy</h2>
      @if (view(); as v) {
        <p class="hint">
          Read-only, from <code>{{ v.source }}</code> (POLICY_FILE). Classes are tried in order; the first that matches wins.
        </p>
      }
      @if (error(); as e) {
        <p class="banner banner-danger" role="alert">{{ e }}</p>
      }
      @if (rows(); as list) {
        <bn-console-table caption="Route classes" [columns]="columns" testId="policy-table">
          @for (r of list; track r.name) {
            <tr>
              <td data-label="Class" class="mono">{{ r.name }}</td>
              <td data-label="Matches" class="mono">{{ r.match }}</td>
              <td data-label="Auth">
                {{ r.auth }}
                @if (r.signIn) {
                  <div class="hint">{{ r.signIn }}</div>
                }
              </td>
              <td data-label="Limits">{{ r.limits }}</td>
              <td data-label="Shared store down">
                {{ r.onStoreDown }}: {{ storeDown[r.onStoreDown] ?? '' }}
                @if (nowState()[r.name]; as now) {
                  @if (now !== 'normal') {
                    <div>
                      <span class="badge badge-warn">now {{ now }}</span>
                    </div>
                  }
                }
              </td>
              <td data-label="Mode">
                <bn-mode-badge [observe]="r.observe" />
              </td>
            </tr>
          }
        </bn-console-table>
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RoutePolicy {
  protected readonly columns = ['Class', 'Matches', 'Auth', 'Limits', 'Shared store down', 'Mode'];
  private readonly api = inject(SettingsApi);
  protected readonly view = signal<RoutePolicyView | null>(null);
  private readonly ready = signal<ReadinessResponse | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly storeDown = STORE_DOWN;
  protected readonly rows = computed(() => {
    const v = this.view();
    return v ? routeClassRows(v.policy) : null;
  });
  protected readonly nowState = computed<Record<string, string>>(() =>
    Object.fromEntries((this.ready()?.route_classes ?? []).map((c) => [c.name, c.now])),
  );

  constructor() {
    this.api.policy().subscribe({
      next: (v) => this.view.set(v),
      error: (err: unknown) => this.error.set(toApiFailure(err).detail),
    });
    this.api.readiness().subscribe({ next: (r) => this.ready.set(r), error: () => undefined });
  }
}
