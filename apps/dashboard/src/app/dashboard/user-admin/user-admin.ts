import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormBuilder, FormControl, ReactiveFormsModule, Validators } from '@angular/forms';
import { ROLES, type PasswordResetResponse, type Role, type UpdateUserRequest, type UserSummary } from '@bouncer/contracts';
import type { Observable } from 'rxjs';
import { toApiFailure } from '../../core/api-failure';
import { AuthStore } from '../../core/auth-store';
import { BouncerApi } from '../../core/bouncer-api';
import { ConfirmButton } from '../../console/shared/confirm-button';

type CreateField = 'username' | 'password' | 'role';

/** User management: list, create, change role, disable, delete. */
@Component({
  selector: 'bn-user-admin',
  imports: [DatePipe, ReactiveFormsModule, ConfirmButton],
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
  /** Roles picked in a row's select but not saved yet: a select never changes a role by itself (D4). */
  protected readonly pendingRole = signal<Readonly<Record<string, Role>>>({});
  /** The temporary password of the latest reset, shown once next to its row. */
  protected readonly temporary = signal<PasswordResetResponse | null>(null);
  /** Where each row's feedback goes: next to the action, not at the top of the page (D6). */
  protected readonly rowMessage = signal<{ user: string; ok: boolean; text: string } | null>(null);
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

  protected pickRole(user: UserSummary, role: string): void {
    if (role !== 'admin' && role !== 'user') return;
    this.pendingRole.update((p) => {
      const next = { ...p };
      if (role === user.role) delete next[user.username];
      else next[user.username] = role;
      return next;
    });
  }

  protected roleOf(user: UserSummary): Role {
    return this.pendingRole()[user.username] ?? user.role;
  }

  /** Saves a picked role; promotion to admin has been confirmed by the button. */
  protected saveRole(user: UserSummary): void {
    const role = this.pendingRole()[user.username];
    if (!role) return;
    this.patch(user, { role }, `${user.username} is now ${role}.`);
  }

  protected cancelRole(user: UserSummary): void {
    this.pickRole(user, user.role);
  }

  protected resetPassword(user: UserSummary): void {
    this.busy.set(user.username);
    this.temporary.set(null);
    this.api.resetPassword(user.username).subscribe({
      next: (t) => {
        this.busy.set(null);
        this.temporary.set(t);
        this.rowMessage.set({ user: user.username, ok: true, text: `Password of ${user.username} reset; their sessions ended.` });
        this.load();
      },
      error: (err: unknown) => {
        this.busy.set(null);
        this.rowMessage.set({ user: user.username, ok: false, text: toApiFailure(err).detail });
      },
    });
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
    this.busy.set(user.username);
    this.api.updateUser(user.username, body).subscribe({
      next: () => {
        this.pendingRole.update((p) => {
          const next = { ...p };
          delete next[user.username];
          return next;
        });
        this.rowMessage.set({ user: user.username, ok: true, text });
        this.done(text);
      },
      error: (err: unknown) => {
        this.rowMessage.set({ user: user.username, ok: false, text: toApiFailure(err).detail });
        this.fail(err);
      },
    });
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
