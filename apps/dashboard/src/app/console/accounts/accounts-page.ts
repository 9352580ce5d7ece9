import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import type { SecurityEvent } from '@bouncer/contracts';
import { toApiFailure } from '../../core/api-failure';
import { BouncerApi } from '../../core/bouncer-api';
import { DateTimePipe } from '../shared/date-time';

interface AccountRow {
  account: string;
  failures: number;
  clients: number;
  first: string;
  last: string;
  throttled: boolean;
}

/**
 * Accounts under attack, from the last 24 hours of the audit log: failed sign-ins per targeted
 * account, from how many clients, since when, and whether rule 3 throttled it. A first cut:
 * one page of at most 1,000 events is read, and there is no unlock action yet.
 */
@Component({
  selector: 'bn-accounts-page',
  imports: [RouterLink, DateTimePipe],
  template: `
    <div class="page">
      <h1>Accounts under attack</h1>
      <section class="card" aria-labelledby="acc-title">
        <h2 id="acc-title">Failed sign-ins in the last 24 hours</h2>
        @if (error(); as e) {
          <p class="banner banner-danger" role="alert">{{ e }}</p>
        }
        @if (truncated()) {
          <p class="banner banner-warn">Only the latest 1,000 events were read; older attempts are in the audit log.</p>
        }
        @if (rows(); as list) {
          @if (list.length === 0) {
            <p class="empty">No failed sign-ins in the last 24 hours.</p>
          } @else {
            <div class="table-wrap">
              <table class="stack" data-testid="accounts-table">
                <caption class="visually-hidden">
                  Accounts with failed sign-ins
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Account</th>
                    <th scope="col" class="num">Failures</th>
                    <th scope="col" class="num">Clients</th>
                    <th scope="col">Since</th>
                    <th scope="col">Latest</th>
                    <th scope="col">Events</th>
                  </tr>
                </thead>
                <tbody>
                  @for (r of list; track r.account) {
                    <tr>
                      <td data-label="Account">
                        {{ r.account }}
                        @if (r.throttled) {
                          <span class="badge badge-warn">throttled</span>
                        }
                      </td>
                      <td data-label="Failures" class="num">{{ r.failures }}</td>
                      <td data-label="Clients" class="num">{{ r.clients }}</td>
                      <td data-label="Since">{{ r.first | bnDateTime }}</td>
                      <td data-label="Latest">{{ r.last | bnDateTime }}</td>
                      <td data-label="Events">
                        <a routerLink="/audit" [queryParams]="{ actor: r.account, type: 'login.' }">Audit log</a>
                      </td>
                    </tr>
                  }
                </tbody>
              </table>
            </div>
          }
        } @else if (!error()) {
          <p class="muted">Loading…</p>
        }
      </section>
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AccountsPage {
  private readonly events = signal<SecurityEvent[] | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly truncated = signal(false);
  protected readonly rows = computed<AccountRow[] | null>(() => {
    const list = this.events();
    if (!list) return null;
    const by = new Map<string, { failures: number; clients: Set<string>; first: string; last: string; throttled: boolean }>();
    for (const e of list) {
      if (!e.actor) continue;
      const row = by.get(e.actor) ?? { failures: 0, clients: new Set<string>(), first: e.at, last: e.at, throttled: false };
      if (e.type === 'account.delayed') row.throttled = true;
      else row.failures++;
      if (e.client) row.clients.add(e.client);
      if (e.at < row.first) row.first = e.at;
      if (e.at > row.last) row.last = e.at;
      by.set(e.actor, row);
    }
    return [...by.entries()]
      .map(([account, r]) => ({
        account,
        failures: r.failures,
        clients: r.clients.size,
        first: r.first,
        last: r.last,
        throttled: r.throttled,
      }))
      .sort((a, b) => b.failures - a.failures);
  });

  constructor() {
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const api = inject(BouncerApi);
    api.events({ type: 'login.failed', since, limit: 1000 }).subscribe({
      next: (failed) => {
        this.truncated.set(failed.next !== null);
        api.events({ type: 'account.delayed', since, limit: 1000 }).subscribe({
          next: (delayed) => this.events.set([...failed.items, ...delayed.items]),
          error: () => this.events.set(failed.items),
        });
      },
      error: (err: unknown) => this.error.set(toApiFailure(err).detail),
    });
  }
}
