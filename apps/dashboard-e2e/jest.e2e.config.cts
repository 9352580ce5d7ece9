/**
 * Browser end-to-end tests: the built API (dist/apps/api/main.js) serves the built
 * dashboard (dist/apps/dashboard/browser); Debian's Chromium drives it via playwright-core.
 * Nothing is built here: the `e2e` target (npx nx e2e dashboard-e2e) depends on `api:build` and `dashboard:build`.
 */
module.exports = {
  displayName: 'dashboard-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js'],
  testMatch: ['<rootDir>/src/**/*.e2e.spec.ts'],
  testTimeout: 180_000,
  maxWorkers: 1,
};
