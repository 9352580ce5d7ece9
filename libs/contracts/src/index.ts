export * from './lib/auth';
export * from './lib/users';
export * from './lib/detection';
export * from './lib/dashboard';
export * from './lib/problem';
export * from './lib/paths';
