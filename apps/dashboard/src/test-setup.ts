import 'jest-canvas-mock';
import { setupZonelessTestEnv } from 'jest-preset-angular/setup-env/zoneless';

setupZonelessTestEnv({
  errorOnUnknownElements: true,
  errorOnUnknownProperties: true,
});

// jsdom has no ResizeObserver; Chart.js (responsive charts) needs one.
if (!('ResizeObserver' in globalThis)) {
  class ResizeObserverStub {
    observe(): void {
      // jsdom lays nothing out: there is never a size change to report.
    }
    unobserve(): void {
      // Nothing observed, nothing to stop.
    }
    disconnect(): void {
      // Nothing observed, nothing to stop.
    }
  }
  Object.defineProperty(globalThis, 'ResizeObserver', { value: ResizeObserverStub, writable: true });
}
