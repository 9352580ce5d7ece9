import { isGatewayPath, isProbePath } from './client-gate';

describe('the paths the gate does not count', () => {
  it('knows the probes and the metrics scrape, with or without a query or a trailing slash', () => {
    for (const url of ['/health', '/health/', '/health/ready', '/health/ready?x=1', '/metrics', '/metrics?name=a'])
      expect(isProbePath(url)).toBe(true);
    for (const url of [
      undefined,
      '',
      '/',
      '/healthz',
      '/health/readyz',
      '/Health',
      '//health',
      '/metrics/x',
      '/api/health',
      '/validate-token',
    ])
      expect(isProbePath(url)).toBe(false);
  });

  it('knows the forward-auth endpoint and its sub-paths only', () => {
    for (const url of ['/forward-auth', '/forward-auth?rd=1', '/forward-auth/nginx', '/forward-auth/traefik?x'])
      expect(isGatewayPath(url)).toBe(true);
    for (const url of [undefined, '', '/forward-authx', '/forward-auth-x/y', '/api/forward-auth', '/validate-token'])
      expect(isGatewayPath(url)).toBe(false);
  });
});
