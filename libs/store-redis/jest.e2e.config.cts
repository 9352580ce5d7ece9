/** Specs against real Redis (127.0.0.1:6379) and private redis-server processes they start and kill. */
module.exports = {
  displayName: 'store-redis-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  testMatch: ['<rootDir>/src/**/*.e2e.spec.ts'],
  testTimeout: 30_000,
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/libs/store-redis-e2e',
};
