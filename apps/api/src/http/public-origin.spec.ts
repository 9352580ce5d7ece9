import { clientRequestIdBinding } from './pino-logger';
import { PublicOrigin } from './public-origin';

const request = (headers: Record<string, string>, peer = '127.0.0.1') => ({ socket: { remoteAddress: peer }, headers });

describe('PublicOrigin', () => {
  const proxied = new PublicOrigin({ trustedProxies: ['10.0.0.5/32'], corsOrigins: [] });

  it('believes X-Forwarded-Proto only from a trusted proxy, and only its own (last) value', () => {
    expect(proxied.isHttps(request({ 'x-forwarded-proto': 'https' }, '10.0.0.5'))).toBe(true);
    expect(proxied.isHttps(request({ 'x-forwarded-proto': 'HTTPS' }, '10.0.0.5'))).toBe(true);
    expect(proxied.isHttps(request({ 'x-forwarded-proto': 'https, http' }, '10.0.0.5'))).toBe(false);
    expect(proxied.isHttps(request({ 'x-forwarded-proto': 'https' }, '10.0.0.6'))).toBe(false);
    expect(proxied.isHttps(request({}, '10.0.0.5'))).toBe(false);
    expect(new PublicOrigin({ tls: { certFile: 'c' }, trustedProxies: [], corsOrigins: [] }).isHttps(request({}))).toBe(true);
    expect(new PublicOrigin({ publicOrigin: 'https://b.example', trustedProxies: [], corsOrigins: [] }).isHttps(request({}))).toBe(true);
    expect(new PublicOrigin({ publicOrigin: 'http://b.example', trustedProxies: [], corsOrigins: [] }).isHttps(request({}))).toBe(false);
  });

  it('reads the scheme from RFC 7239 Forwarded when that is the header the proxy writes', () => {
    const o = new PublicOrigin({ trustedProxies: ['10.0.0.5/32'], corsOrigins: [], detection: { forwardedHeader: 'forwarded' } });
    expect(o.isHttps(request({ forwarded: 'for=203.0.113.9;proto=https' }, '10.0.0.5'))).toBe(true);
    expect(o.isHttps(request({ forwarded: 'for=1.2.3.4;proto=http, for=203.0.113.9;Proto="HTTPS"' }, '10.0.0.5'))).toBe(true);
    expect(o.isHttps(request({ forwarded: 'for=1.2.3.4;proto=https, for=203.0.113.9' }, '10.0.0.5'))).toBe(false);
    expect(o.isHttps(request({ 'x-forwarded-proto': 'https' }, '10.0.0.5'))).toBe(false);
    expect(o.isHttps(request({ forwarded: 'proto=https' }, '10.0.0.6'))).toBe(false);
  });

  it('refuses cross-site and foreign-origin requests on the cookie routes', () => {
    const o = new PublicOrigin({ trustedProxies: [], corsOrigins: ['https://app.example'] });
    const host = { host: 'bouncer.example:8080' };
    const refused = (h: Record<string, string>) => o.crossSiteRefusal(request({ ...host, ...h })) !== null;
    expect(refused({ 'sec-fetch-site': 'cross-site' })).toBe(true);
    expect(refused({ 'sec-fetch-site': 'cross-site', origin: 'http://bouncer.example:8080' })).toBe(true);
    expect(refused({ 'sec-fetch-site': 'same-site', origin: 'https://evil.bouncer.example' })).toBe(true);
    expect(refused({ 'sec-fetch-site': 'same-site', origin: 'https://app.example' })).toBe(false);
    expect(refused({ 'sec-fetch-site': 'cross-site', origin: 'https://app.example' })).toBe(false);
    expect(refused({ 'sec-fetch-site': 'cross-site', origin: 'https://app.example.evil' })).toBe(true);
    expect(refused({ 'sec-fetch-site': 'same-origin', origin: 'http://bouncer.example:8080' })).toBe(false);
    expect(refused({ origin: 'https://evil.example' })).toBe(true);
    expect(refused({ origin: 'null' })).toBe(true);
    expect(refused({ origin: 'http://bouncer.example:8080' })).toBe(false);
    expect(refused({ origin: 'https://bouncer.example:8080' })).toBe(false);
    expect(refused({ origin: 'http://bouncer.example' })).toBe(true);
    expect(refused({})).toBe(false);
  });

  it('takes PUBLIC_URL as the only own origin when it is set', () => {
    const o = new PublicOrigin({ publicOrigin: 'https://bouncer.example', trustedProxies: [], corsOrigins: [] });
    expect(o.isOwnOrigin('https://bouncer.example', request({ host: 'internal:3000' }))).toBe(true);
    expect(o.isOwnOrigin('https://bouncer.example:443', request({ host: 'internal:3000' }))).toBe(true);
    expect(o.isOwnOrigin('http://internal:3000', request({ host: 'internal:3000' }))).toBe(false);
  });
});

describe('clientRequestIdBinding', () => {
  it('logs a client-sent X-Request-Id separately, truncated', () => {
    expect(clientRequestIdBinding({})).toEqual({});
    expect(clientRequestIdBinding({ 'x-request-id': 'same-id-1' })).toEqual({ client_request_id: 'same-id-1' });
    expect(clientRequestIdBinding({ 'x-request-id': 'x'.repeat(500) }).client_request_id).toHaveLength(128);
  });
});
