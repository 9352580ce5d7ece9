/**
 * Unit tests: src/**\/*.spec.ts, beside the code. No build, no server, no PostgreSQL or Redis
 * (`npx nx test api`). Tests that need those are test/**\/*.e2e.spec.ts: jest.e2e.config.cts.
 */
module.exports = {
  displayName: 'api',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  coverageDirectory: '../../coverage/apps/api',
  testTimeout: 30_000,
};
