import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormBuilder, FormControl, ReactiveFormsModule, Validators } from '@angular/forms';
import { ROLES, type Role, type UpdateUserRequest, type UserSummary } from '@bouncer/contracts';
import type { Observable } from 'rxjs';
import { toApiFailure } from '../../core/api-failure';
import { AuthStore } from '../../core/auth-store';
import { BouncerApi } from '../../core/bouncer-api';

type CreateField = 'username' | 'password' | 'role';

/** User management: list, create, change role, disable, delete. */
@Component({
  selector: 'bn-user-admin',
  imports: [DatePipe, ReactiveFormsModule],
  templateUrl: './user-admin.html',
  styleUrl: './user-admin.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UserAdmin {
  private readonly api = inject(BouncerApi);
  protected readonly me = inject(AuthStore).username;
  protected readonly roles = ROLES;

  protected readonly users = signal<UserSummary[] | null>(null);
  protected readonly message = signal<{ ok: boolean; text: string } | null>(null);
  protected readonly busy = signal<string | null>(null);
  protected readonly confirmDelete = signal<string | null>(null);
  protected readonly createErrors = signal<Partial<Record<CreateField, string>>>({});

  protected readonly createForm = inject(FormBuilder).nonNullable.group({
    username: ['', Validators.required],
    password: ['', Validators.required],
    role: new FormControl<Role>('user', { nonNullable: true }),
  });

  constructor() {
    this.load();
  }

  protected load(): void {
    this.api.listUsers().subscribe({
      next: (users) => this.users.set(users),
      error: (err: unknown) => this.fail(err),
    });
  }

  protected create(): void {
    const c = this.createForm.controls;
    const local: Partial<Record<CreateField, string>> = {};
    if (c.username.invalid) local.username = 'Enter a username.';
    if (c.password.invalid) local.password = 'Enter an initial password.';
    this.createErrors.set(local);
    if (Object.keys(local).length > 0) return;
    const body = this.createForm.getRawValue();
    this.busy.set('__create__');
    this.api.createUser({ ...body, username: body.username.trim() }).subscribe({
      next: () => {
        this.createForm.reset();
        this.done(`Created ${body.username}.`);
      },
      error: (err: unknown) => {
        const failure = toApiFailure(err);
        const byField: Partial<Record<CreateField, string>> = {};
        for (const e of failure.errors) {
          if (e.field === 'username' || e.field === 'password' || e.field === 'role') byField[e.field] = e.message;
        }
        this.createErrors.set(byField);
        this.fail(err);
      },
    });
  }

  protected setRole(user: UserSummary, role: string): void {
    if (role !== 'admin' && role !== 'user') return;
    this.patch(user, { role }, `${user.username} is now ${role}.`);
  }

  protected toggleDisabled(user: UserSummary): void {
    const disabled = !user.disabled;
    this.patch(user, { disabled }, `${user.username} ${disabled ? 'disabled' : 'enabled'}.`);
  }

  protected remove(user: UserSummary): void {
    if (this.confirmDelete() !== user.username) {
      this.confirmDelete.set(user.username);
      return;
    }
    this.confirmDelete.set(null);
    this.run(user.username, this.api.deleteUser(user.username), `Deleted ${user.username}.`);
  }

  private patch(user: UserSummary, body: UpdateUserRequest, text: string): void {
    this.run(user.username, this.api.updateUser(user.username, body), text);
  }

  private run(key: string, call: Observable<unknown>, text: string): void {
    this.busy.set(key);
    call.subscribe({ next: () => this.done(text), error: (err: unknown) => this.fail(err) });
  }

  private done(text: string): void {
    this.busy.set(null);
    this.message.set({ ok: true, text });
    this.load();
  }

  private fail(err: unknown): void {
    this.busy.set(null);
    this.message.set({ ok: false, text: toApiFailure(err).detail });
  }
}
