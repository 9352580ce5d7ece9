import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { RouterLink } from '@angular/router';

/** Every address or range in the console leads to its client page. */
@Component({
  selector: 'bn-client-link',
  imports: [RouterLink],
  template: `<a class="mono addr" [routerLink]="['/clients', client()]" [attr.data-client-link]="client()">{{ client() }}</a>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ClientLink {
  readonly client = input.required<string>();
}
