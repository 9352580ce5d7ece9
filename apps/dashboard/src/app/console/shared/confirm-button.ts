import { ChangeDetectionStrategy, Component, ElementRef, input, output, signal, viewChild } from '@angular/core';

/**
 * A destructive action in two steps: the first press asks, "Confirm" does it, "Cancel" or
 * Escape backs out. Focus moves to the question's confirm button and back, so keyboard users
 * stay where they were.
 */
@Component({
  selector: 'bn-confirm-button',
  template: `
    @if (asking()) {
      <span class="confirm" role="group" [attr.aria-label]="question()" (keydown.escape)="cancel()">
        <span class="confirm-q">{{ question() }}</span>
        <button #yes type="button" class="btn btn-small btn-danger" (click)="confirm()">{{ confirmLabel() }}</button>
        <button type="button" class="btn btn-small btn-ghost" (click)="cancel()">Cancel</button>
      </span>
    } @else {
      <button #ask type="button" [class]="buttonClass()" [disabled]="disabled()" [attr.aria-label]="ariaLabel()" (click)="open()">
        {{ label() }}
      </button>
    }
  `,
  styles: `
    .confirm {
      display: inline-flex;
      flex-wrap: wrap;
      gap: 0.35rem;
      align-items: center;
    }
    .confirm-q {
      font-weight: 600;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ConfirmButton {
  readonly label = input.required<string>();
  readonly question = input.required<string>();
  readonly confirmLabel = input('Confirm');
  readonly ariaLabel = input<string | null>(null);
  readonly disabled = input(false);
  readonly buttonClass = input('btn btn-small btn-danger');
  readonly confirmed = output<void>();

  protected readonly asking = signal(false);
  private readonly yes = viewChild<ElementRef<HTMLButtonElement>>('yes');
  private readonly ask = viewChild<ElementRef<HTMLButtonElement>>('ask');

  protected open(): void {
    this.asking.set(true);
    queueMicrotask(() => setTimeout(() => this.yes()?.nativeElement.focus()));
  }

  protected confirm(): void {
    this.asking.set(false);
    this.confirmed.emit();
    setTimeout(() => this.ask()?.nativeElement.focus());
  }

  protected cancel(): void {
    this.asking.set(false);
    setTimeout(() => this.ask()?.nativeElement.focus());
  }
}
