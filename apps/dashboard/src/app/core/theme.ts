import { DOCUMENT } from '@angular/common';
import { Injectable, inject, signal } from '@angular/core';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'bouncer.theme';
const ORDER: ThemeChoice[] = ['system', 'dark', 'light'];

/**
 * Light or dark: follows the system unless the admin picks one. The choice is a display
 * preference (not a secret), kept in localStorage; the page reads it from `data-theme`.
 */
@Injectable({ providedIn: 'root' })
export class ThemeStore {
  private readonly root = inject(DOCUMENT).documentElement;
  readonly choice = signal<ThemeChoice>(readChoice());

  constructor() {
    this.apply(this.choice());
  }

  next(): void {
    const choice = ORDER[(ORDER.indexOf(this.choice()) + 1) % ORDER.length]!;
    this.choice.set(choice);
    try {
      localStorage.setItem(KEY, choice);
    } catch {
      // Storage refused (private mode): the choice lasts for this page only.
    }
    this.apply(choice);
  }

  private apply(choice: ThemeChoice): void {
    if (choice === 'system') this.root.removeAttribute('data-theme');
    else this.root.setAttribute('data-theme', choice);
  }
}

function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}
