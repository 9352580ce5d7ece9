import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'bn-dashboard',
  template: `<div class="page"><h1>Dashboard</h1></div>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Dashboard {}
