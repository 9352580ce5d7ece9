import { ChangeDetectionStrategy, Component, inject, input, output, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import type { BlockRequest } from '@bouncer/contracts';
import { BLOCK_DURATIONS, DEFAULT_BLOCK_SECONDS } from '../duration';

/** Loose shape check (IPv4/IPv6 address, optional /prefix); the API validates for real. */
const CLIENT_PATTERN = /^[0-9a-fA-F.:]+(\/\d{1,3})?$/;

@Component({
  selector: 'bn-block-form',
  imports: [ReactiveFormsModule],
  templateUrl: './block-form.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BlockForm {
  readonly busy = input(false);
  readonly block = output<BlockRequest>();

  protected readonly durations = BLOCK_DURATIONS;
  protected readonly submitted = signal(false);
  protected readonly form = inject(FormBuilder).nonNullable.group({
    client: ['', [Validators.required, Validators.pattern(CLIENT_PATTERN)]],
    duration_seconds: [DEFAULT_BLOCK_SECONDS],
    reason: ['', [Validators.required, Validators.maxLength(200)]],
  });

  protected submit(): void {
    this.submitted.set(true);
    if (this.form.invalid) return;
    const v = this.form.getRawValue();
    this.block.emit({ client: v.client.trim(), duration_seconds: Number(v.duration_seconds), reason: v.reason.trim() });
    this.form.reset();
    this.submitted.set(false);
  }
}
