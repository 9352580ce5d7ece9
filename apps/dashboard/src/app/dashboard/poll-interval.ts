import { InjectionToken } from '@angular/core';

/** How often the admin dashboard polls `GET /dashboard-data`, in milliseconds. */
export const DASHBOARD_POLL_INTERVAL_MS = new InjectionToken<number>('DASHBOARD_POLL_INTERVAL_MS', {
  providedIn: 'root',
  factory: () => 2000,
});
