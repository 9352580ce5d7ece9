import { resolve } from 'node:path';

export const WORKSPACE_ROOT = resolve(__dirname, '../../../..');
export const API_MAIN = resolve(WORKSPACE_ROOT, 'dist/apps/api/main.js');
export const DASHBOARD_DIR = resolve(WORKSPACE_ROOT, 'dist/apps/dashboard/browser');
export const SCREENSHOT_DIR = resolve(WORKSPACE_ROOT, 'tmp/screenshots');
export const LOG_DIR = resolve(WORKSPACE_ROOT, 'tmp/e2e-logs');
