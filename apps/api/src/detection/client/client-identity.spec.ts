import { CidrList, canonicalRange } from './cidr';
import { ClientIdentity } from './client-identity';
import { clientKeyOf, setClientKey } from './client-key';

describe('ClientIdentity', () => {
  const none = new ClientIdentity([]);
  const proxied = new ClientIdentity(['10.0.0.0/8', '2001:db8:ffff::1']);

  it('uses the socket peer when no proxy is trusted, ignoring forwarding headers', () => {
    expect(none.resolve('198.51.100.7', {})).toBe('198.51.100.7');
    expect(none.resolve('198.51.100.7', { 'x-forwarded-for': '203.0.113.9' })).toBe('198.51.100.7');
    expect(none.resolve('198.51.100.7', { forwarded: 'for=203.0.113.9' })).toBe('198.51.100.7');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy (spoofing)', () => {
    expect(proxied.resolve('198.51.100.7', { 'x-forwarded-for': '203.0.113.9' })).toBe('198.51.100.7');
  });

  it('believes X-Forwarded-For from a trusted proxy: the right-most untrusted address', () => {
    expect(proxied.resolve('10.1.2.3', { 'x-forwarded-for': '203.0.113.9' })).toBe('203.0.113.9');
    // The client put a fake left-most entry; the proxy appended the real one.
    expect(proxied.resolve('10.1.2.3', { 'x-forwarded-for': '1.1.1.1, 203.0.113.9' })).toBe('203.0.113.9');
    // Two trusted hops.
    expect(proxied.resolve('10.1.2.3', { 'x-forwarded-for': '1.1.1.1, 203.0.113.9, 10.9.9.9' })).toBe('203.0.113.9');
    // Several header lines.
    expect(proxied.resolve('10.1.2.3', { 'x-forwarded-for': ['1.1.1.1', '203.0.113.9'] })).toBe('203.0.113.9');
  });

  it('falls back to the peer when a trusted proxy sends no header, and to the last proxy when all hops are proxies', () => {
    expect(proxied.resolve('10.1.2.3', {})).toBe('10.1.2.3');
    expect(proxied.resolve('10.1.2.3', { 'x-forwarded-for': '10.4.4.4' })).toBe('10.4.4.4');
  });

  it('does not walk past an unparseable hop', () => {
    expect(proxied.resolve('10.1.2.3', { 'x-forwarded-for': '203.0.113.9, garbage, 10.4.4.4' })).toBe('10.4.4.4');
  });

  it('reads the RFC 7239 Forwarded header, with quotes, ports and brackets', () => {
    expect(proxied.resolve('10.1.2.3', { forwarded: 'for=203.0.113.9;proto=https' })).toBe('203.0.113.9');
    expect(proxied.resolve('10.1.2.3', { forwarded: 'for=1.1.1.1, for="203.0.113.9:4711"' })).toBe('203.0.113.9');
    expect(proxied.resolve('10.1.2.3', { forwarded: 'for="[2001:db8:1:2::5]:443";by=10.1.2.3' })).toBe('2001:db8:1:2::/64');
    expect(proxied.resolve('10.1.2.3', { forwarded: 'proto=https;for=203.0.113.9' })).toBe('203.0.113.9');
  });

  it('trusts an IPv6 proxy and an IPv4-mapped peer of a trusted IPv4 proxy', () => {
    expect(proxied.resolve('2001:db8:ffff::1', { 'x-forwarded-for': '203.0.113.9' })).toBe('203.0.113.9');
    expect(proxied.resolve('::ffff:10.1.2.3', { 'x-forwarded-for': '203.0.113.9' })).toBe('203.0.113.9');
  });

  it('maps ::ffff:a.b.c.d to the IPv4 address', () => {
    expect(none.resolve('::ffff:198.51.100.7', {})).toBe('198.51.100.7');
    expect(none.key('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });

  it('groups IPv6 clients per /64 by default, per the configured prefix otherwise', () => {
    expect(none.key('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(none.key('2001:db8:1:2:bbbb::9')).toBe('2001:db8:1:2::/64');
    expect(none.key('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(new ClientIdentity([], 48).key('2001:db8:1:2::1')).toBe('2001:db8:1::/48');
    expect(new ClientIdentity([], 128).key('2001:db8::1')).toBe('2001:db8::1');
    expect(none.key('::1')).toBe('::/64');
  });

  it('calls anything that is not an address unknown', () => {
    expect(none.resolve(undefined, {})).toBe('unknown');
    expect(none.key('0x7f.1')).toBe('unknown');
  });
});

describe('CidrList', () => {
  it('matches exact addresses and ranges of both families, and IPv6 prefix keys inside ranges', () => {
    const list = new CidrList(['192.0.2.1', '198.51.100.0/24', '2001:db8::/32', '::ffff:203.0.113.0/120']);
    expect(list.match('192.0.2.1')).toBe('192.0.2.1');
    expect(list.match('192.0.2.2')).toBeNull();
    expect(list.match('198.51.100.200')).toBe('198.51.100.0/24');
    expect(list.match('203.0.113.77')).toBe('203.0.113.0/24');
    expect(list.match('2001:db8:1:2::/64')).toBe('2001:db8::/32');
    expect(list.match('2001:db9::/64')).toBeNull();
    // A /64 key is not inside a /96 range: only part of the prefix is.
    expect(new CidrList(['2001:db8::/96']).match('2001:db8::/64')).toBeNull();
  });

  it('does not allowlist loopback unless told to', () => {
    expect(new CidrList([]).match('127.0.0.1')).toBeNull();
  });

  it('canonicalises ranges and rejects bad ones', () => {
    expect(canonicalRange('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(canonicalRange('2001:DB8::1/48')).toBe('2001:db8::/48');
    expect(canonicalRange('192.0.2.1/32')).toBe('192.0.2.1');
    expect(canonicalRange('10.0.0.0/33')).toBeNull();
    expect(canonicalRange('10.0.0.0/')).toBeNull();
    expect(canonicalRange('not-an-ip')).toBeNull();
    expect(canonicalRange('300.1.1.1')).toBeNull();
  });
});

describe('clientKeyOf', () => {
  it('reads the key from the raw request or a Fastify request wrapping it', () => {
    const raw = { socket: { remoteAddress: '192.0.2.1' } };
    expect(clientKeyOf(raw)).toBe('192.0.2.1');
    setClientKey(raw, '203.0.113.9');
    expect(clientKeyOf(raw)).toBe('203.0.113.9');
    expect(clientKeyOf({ raw })).toBe('203.0.113.9');
  });
});
