import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import type { ReadinessResponse } from '@bouncer/contracts';
import { toApiFailure } from '../../core/api-failure';
import { DateTimePipe } from '../shared/date-time';
import { SettingsApi } from './settings-api';

const DATABASE_NAMES: Record<string, string> = { embedded: 'Embedded (PGlite, in DATA_DIR)', postgres: 'PostgreSQL (DATABASE_URL)' };

/** "embedded:ok" → its name and whether it answers. */
function store(value: string, names: Record<string, string>): { name: string; state: string; ok: boolean } {
  const [kind = value, state = ''] = value.split(':');
  return { name: names[kind] ?? kind, state: state === 'ok' ? 'reachable' : state || 'not used', ok: state === 'ok' };
}

/** Settings: the stores this instance uses, whether they answer, and what it does instead when one does not. */
@Component({
  selector: 'bn-stores-health',
  imports: [DateTimePipe],
  template: `
    <section class="card" aria-labelledby="stores-title">
      <h2 id="stores-title">Stores and their health</h2>
      <p class="hint">
        This instance's view, from <code>GET /health/ready</code>, read at <time>{{ readAt() | bnDateTime }}</time>.
        <button type="button" class="btn btn-small btn-ghost" (click)="load()">Check again</button>
      </p>
      @if (error(); as e) {
        <p class="banner banner-danger" role="alert">{{ e }}</p>
      }
      @if (ready(); as r) {
        <dl class="facts" data-testid="stores-health">
          <dt>Status</dt>
          <dd>
            <span class="badge" [class.badge-ok]="r.status === 'ready'" [class.badge-warn]="r.status !== 'ready'">{{ r.status }}</span>
          </dd>
          <dt>Database</dt>
          <dd>
            {{ database()!.name }}: <span [class.danger-text]="!database()!.ok">{{ database()!.state }}</span>
          </dd>
          <dt>Shared store</dt>
          <dd>
            @if (r.shared_store === 'none') {
              None: counters and decisions live in this process (single instance; set REDIS_URL to share them)
            } @else {
              {{ shared()!.name }}: <span [class.danger-text]="!shared()!.ok">{{ shared()!.state }}</span>
            }
          </dd>
          <dt>Fallback</dt>
          <dd>
            @if (r.fallbacks.length === 0) {
              none in use
            } @else {
              <ul class="plain">
                @for (f of r.fallbacks; track f.part) {
                  <li>
                    <strong>{{ f.part }} {{ f.state }}</strong
                    >: {{ f.instead }}
                  </li>
                }
              </ul>
            }
          </dd>
          <dt>Waiting for the database</dt>
          <dd>
            {{ r.unstored.decisions.queued }} decisions, {{ r.unstored.revocations.queued }} revocations queued
            @if (r.unstored.decisions.dropped + r.unstored.revocations.dropped > 0) {
              ({{ r.unstored.decisions.dropped + r.unstored.revocations.dropped }} dropped)
            }
          </dd>
        </dl>
      }
    </section>
  `,
  styles: `
    .facts {
      display: grid;
      grid-template-columns: minmax(8rem, auto) 1fr;
      gap: 0.35rem 1rem;
      margin: 0;
    }
    .facts dt {
      color: var(--muted);
    }
    .facts dd {
      margin: 0;
    }
    .plain {
      margin: 0;
      padding-left: 1.1rem;
    }
    .danger-text {
      color: var(--danger);
      font-weight: 600;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class StoresHealth {
  private readonly api = inject(SettingsApi);
  protected readonly ready = signal<ReadinessResponse | null>(null);
  protected readonly readAt = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly database = computed(() => {
    const r = this.ready();
    return r ? store(r.database, DATABASE_NAMES) : null;
  });
  protected readonly shared = computed(() => {
    const r = this.ready();
    return r ? store(r.shared_store, { redis: 'Redis (REDIS_URL)' }) : null;
  });

  constructor() {
    this.load();
  }

  protected load(): void {
    this.api.readiness().subscribe({
      next: (r) => {
        this.ready.set(r);
        this.readAt.set(new Date().toISOString());
        this.error.set(null);
      },
      error: (err: unknown) => this.error.set(toApiFailure(err).detail),
    });
  }
}
