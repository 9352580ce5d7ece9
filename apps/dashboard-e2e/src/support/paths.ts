import { resolve } from 'node:path';

export const WORKSPACE_ROOT = resolve(__dirname, '../../../..');
/** The built API; E2E_API_MAIN may point elsewhere (e.g. to try the harness against a stand-in). */
export const API_MAIN = process.env['E2E_API_MAIN'] || resolve(WORKSPACE_ROOT, 'dist/apps/api/main.js');
export const DASHBOARD_DIR = resolve(WORKSPACE_ROOT, 'dist/apps/dashboard/browser');
export const SCREENSHOT_DIR = resolve(WORKSPACE_ROOT, 'tmp/screenshots');
export const LOG_DIR = resolve(WORKSPACE_ROOT, 'tmp/e2e-logs');
