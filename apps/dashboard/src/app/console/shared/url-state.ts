import { inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ActivatedRoute, type Params, Router } from '@angular/router';

/**
 * The page's view (filters, sort, page, time range) lives in the query string: the URL is
 * what an admin sends a colleague. Reading it is a signal; changing it is a navigation, so
 * Back and Forward step through the views.
 */
export function urlState() {
  const route = inject(ActivatedRoute);
  const router = inject(Router);
  const params = toSignal(route.queryParams, { initialValue: route.snapshot.queryParams });
  return {
    params,
    /**
     * Replaces the given keys; empty values are dropped from the URL. `replaceUrl` corrects the
     * view in place (a page past the end) rather than adding a step to Back.
     */
    set(changes: Params, options: { replaceUrl?: boolean } = {}): void {
      const next: Params = { ...route.snapshot.queryParams, ...changes };
      for (const [k, v] of Object.entries(next)) if (v === '' || v === null || v === undefined) delete next[k];
      void router.navigate([], { relativeTo: route, queryParams: next, replaceUrl: options.replaceUrl ?? false });
    },
  };
}

/** A positive whole number from the URL, or the default. */
export function intParam(v: unknown, fallback: number, max = 100_000): number {
  const n = typeof v === 'string' && /^\d{1,7}$/.test(v) ? Number(v) : NaN;
  return n >= 1 && n <= max ? n : fallback;
}

/** A value from the URL if it is one of the allowed ones. */
export function oneOf<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

export function textParam(v: unknown): string {
  return typeof v === 'string' ? v.slice(0, 200) : '';
}
