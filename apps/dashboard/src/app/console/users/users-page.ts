import { ChangeDetectionStrategy, Component } from '@angular/core';
import { UserAdmin } from '../../dashboard/user-admin/user-admin';

@Component({
  selector: 'bn-users-page',
  imports: [UserAdmin],
  template: `
    <div class="page">
      <h1>Users</h1>
      <section class="card" aria-label="Users">
        <bn-user-admin />
      </section>
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UsersPage {}
