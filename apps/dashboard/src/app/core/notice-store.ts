import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import type { ApiFailure } from './api-failure';

export interface Notice {
  status: number;
  detail: string;
  /** Epoch ms when the wait ends, or null when the server gave no wait. */
  until: number | null;
}

/**
 * Surfaces 429 (time buffer) and 403 (blocked client) answers to every page,
 * with a seconds countdown that ticks locally.
 */
@Injectable({ providedIn: 'root' })
export class NoticeStore {
  private readonly current = signal<Notice | null>(null);
  private readonly now = signal(Date.now());
  private ticker: ReturnType<typeof setInterval> | null = null;

  readonly notice = this.current.asReadonly();
  /** Whole seconds left to wait; 0 when there is nothing to wait for. */
  readonly remaining = computed(() => {
    const n = this.current();
    if (!n || n.until === null) return 0;
    return Math.max(0, Math.ceil((n.until - this.now()) / 1000));
  });
  readonly waiting = computed(() => this.remaining() > 0);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.stopTicker());
  }

  show(failure: ApiFailure): void {
    const now = Date.now();
    this.now.set(now);
    this.current.set({
      status: failure.status,
      detail: failure.detail,
      until: failure.retryAfter !== null ? now + failure.retryAfter * 1000 : null,
    });
    if (failure.retryAfter !== null && failure.retryAfter > 0) this.startTicker();
  }

  dismiss(): void {
    this.current.set(null);
    this.stopTicker();
  }

  private startTicker(): void {
    if (this.ticker !== null) return;
    this.ticker = setInterval(() => {
      this.now.set(Date.now());
      if (this.remaining() === 0) this.dismiss();
    }, 1000);
  }

  private stopTicker(): void {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
  }
}
