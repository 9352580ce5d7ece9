/**
 * End-to-end tests: test/**\/*.e2e.spec.ts (`npx nx e2e api`). They start the API (in process,
 * or the build in dist/ for the multi-instance case) and use the machine's PostgreSQL
 * (TEST_POSTGRES_URL), Redis (TEST_REDIS_URL) and nginx.
 */
module.exports = {
  displayName: 'api-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  testMatch: ['<rootDir>/test/**/*.e2e.spec.ts'],
  // Each suite starts whole servers (PGlite start-up alone took up to ~50 s on this shared
  // 2-core machine under load); generous, so only a real hang fails on time.
  testTimeout: 120_000,
};
