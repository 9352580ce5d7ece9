import { Route } from '@angular/router';
import { provideCharts, withDefaultRegisterables } from 'ng2-charts';
import { Dashboard } from './dashboard';

/** Lazy: Chart.js is registered here so it ships with the dashboard chunk only. */
export const dashboardRoutes: Route[] = [{ path: '', component: Dashboard, providers: [provideCharts(withDefaultRegisterables())] }];
