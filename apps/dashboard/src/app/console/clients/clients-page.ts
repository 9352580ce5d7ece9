import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { isAddressOrRange } from '../shared/ranges';

/** Go to one client's page by its address or range. */
@Component({
  selector: 'bn-clients-page',
  imports: [FormsModule, RouterLink],
  template: `
    <div class="page">
      <h1>Clients</h1>
      <form class="card" role="search" aria-label="Find a client" (ngSubmit)="open()" novalidate>
        <div class="form-row">
          <div class="field">
            <label for="find-client">Address or range</label>
            <input
              id="find-client"
              name="client"
              [(ngModel)]="text"
              autocomplete="off"
              spellcheck="false"
              placeholder="203.0.113.7"
              [attr.aria-invalid]="error() ? 'true' : null"
              [attr.aria-describedby]="error() ? 'find-client-error' : 'find-client-hint'"
            />
            <span id="find-client-hint" class="hint">An IPv6 address is shown as its /64, as Bouncer counts it.</span>
            @if (error(); as e) {
              <span id="find-client-error" class="field-error">{{ e }}</span>
            }
          </div>
          <button type="submit" class="btn">Open</button>
        </div>
      </form>
      <p>
        Clients with a standing decision are on <a routerLink="/decisions">Decisions</a>; busy ones are on the
        <a routerLink="/dashboard">Overview</a>. Every address in the console links to its page.
      </p>
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ClientsPage {
  private readonly router = inject(Router);
  protected text = '';
  protected readonly error = signal<string | null>(null);

  protected open(): void {
    const client = this.text.trim();
    if (!isAddressOrRange(client)) {
      this.error.set(client ? `${client} is not an IP address or CIDR.` : 'Enter an address or range.');
      return;
    }
    this.error.set(null);
    void this.router.navigate(['/clients', client]);
  }
}
