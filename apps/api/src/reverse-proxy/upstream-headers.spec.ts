import { clientResponseHeaders, upstreamRequestHeaders } from './upstream-headers';
import { OwnRoutes } from './own-routes';

describe('#11.2 upstream headers', () => {
  const base = { peer: '192.0.2.7', proto: 'http' as const, identity: { 'x-bouncer-client': '192.0.2.7' }, stripAuthorization: false };

  it('removes hop-by-hop headers, those Connection lists, and every X-Bouncer-* the client sent', () => {
    const out = upstreamRequestHeaders(
      {
        host: 'api.example.com',
        connection: 'keep-alive, X-Secret',
        'x-secret': 's',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic x',
        'x-bouncer-user': 'admin',
        'x-bouncer-client': '10.0.0.1',
        authorization: 'Bearer t',
        accept: 'application/json',
      },
      { ...base, peerTrusted: false },
    );
    expect(out).toEqual({
      host: 'api.example.com',
      authorization: 'Bearer t',
      accept: 'application/json',
      'x-forwarded-for': '192.0.2.7',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'api.example.com',
      'x-bouncer-client': '192.0.2.7',
    });
  });

  it('believes forwarding headers only from a trusted proxy, extending its chain', () => {
    const incoming = {
      host: 'bouncer:3000',
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
    };
    expect(upstreamRequestHeaders(incoming, { ...base, peerTrusted: true })).toMatchObject({
      'x-forwarded-for': '203.0.113.9, 192.0.2.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
    });
    expect(upstreamRequestHeaders(incoming, { ...base, peerTrusted: false })).toMatchObject({
      'x-forwarded-for': '192.0.2.7',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'bouncer:3000',
    });
  });

  it('strips Authorization when the class says so', () => {
    expect(
      upstreamRequestHeaders({ authorization: 'Bearer t' }, { ...base, peerTrusted: false, stripAuthorization: true })['authorization'],
    ).toBeUndefined();
  });

  it('gives the client the upstream’s answer headers minus hop-by-hop ones', () => {
    expect(
      clientResponseHeaders({
        'content-type': 'text/plain',
        connection: 'close, x-hop',
        'x-hop': '1',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'cache-control': 'max-age=60',
      }),
    ).toEqual({
      'content-type': 'text/plain',
      'cache-control': 'max-age=60',
    });
  });
});

describe('#11.2 Bouncer’s own namespaces', () => {
  it('are the first segments of its routes; catch-alls and parameters claim nothing; encoded names are decoded', () => {
    const own = new OwnRoutes();
    for (const url of ['/token', '/admin/users/:id', '/.well-known/jwks.json', '/health/ready', '/*', '/:id', '/']) own.add(url);
    expect(own.list()).toEqual(['.well-known', 'admin', 'health', 'token']);
    expect(own.has('/admin/anything')).toBe(true);
    expect(own.has('/%61dmin/x')).toBe(true);
    expect(own.has('/token')).toBe(true);
    expect(own.has('/tokens')).toBe(false);
    expect(own.has('/api/admin')).toBe(false);
    expect(own.has('/')).toBe(false);
    expect(own.has('/%E0%A4%A')).toBe(false);
  });
});
