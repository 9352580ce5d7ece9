import { CidrList, canonicalRange, ClientIdentity } from './client-identity';

describe('ClientIdentity', () => {
  const direct = new ClientIdentity([]);
  const proxied = new ClientIdentity(['10.0.0.0/8', '2001:db8:ffff::/48']);

  it('uses the socket address when no proxy is trusted, whatever the headers say', () => {
    expect(direct.resolve('192.0.2.1', { 'x-forwarded-for': '203.0.113.9' })).toBe('192.0.2.1');
    expect(direct.resolve('::ffff:192.0.2.1', {})).toBe('192.0.2.1');
  });

  it('takes the right-most untrusted address behind trusted proxies', () => {
    expect(proxied.resolve('10.0.0.5', { 'x-forwarded-for': '198.51.100.1, 203.0.113.9, 10.1.1.1' })).toBe('203.0.113.9');
    expect(proxied.resolve('10.0.0.5', { forwarded: 'for=198.51.100.1;proto=https, for="[2001:db8:1:2::99]:443"' })).toBe(
      '2001:db8:1:2::/64',
    );
    expect(proxied.resolve('10.0.0.5', { 'x-forwarded-for': '203.0.113.9:51234' })).toBe('203.0.113.9');
    // An untrusted peer's header is ignored.
    expect(proxied.resolve('192.0.2.77', { 'x-forwarded-for': '203.0.113.9' })).toBe('192.0.2.77');
    // Garbage in the header does not become a client.
    expect(proxied.resolve('10.0.0.5', { 'x-forwarded-for': 'not-an-ip, <script>' })).toBe('10.0.0.5');
  });

  it('groups IPv6 per prefix and honours a configured one', () => {
    expect(direct.key('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(new ClientIdentity([], 48).key('2001:db8:1:2::1')).toBe('2001:db8:1::/48');
    expect(new ClientIdentity([], 128).key('2001:db8::1')).toBe('2001:db8::1');
  });
});

describe('CidrList and canonicalRange', () => {
  it('matches IPv4, IPv6 and mapped addresses', () => {
    const list = new CidrList(['192.0.2.0/24', '2001:db8::/32', '::ffff:198.51.100.0/120']);
    expect(list.match('192.0.2.200')).toBe('192.0.2.0/24');
    expect(list.match('192.0.3.1')).toBeNull();
    expect(list.match('2001:db8:5::1')).toBe('2001:db8::/32');
    expect(list.match('198.51.100.7')).toBe('::ffff:198.51.100.0/120');
    expect(list.match('2001:db8:1:2::/64')).toBe('2001:db8::/32');
  });
  it('canonicalizes and rejects', () => {
    expect(canonicalRange('192.0.2.77/24')).toBe('192.0.2.0/24');
    expect(canonicalRange('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalRange('999.0.0.1')).toBeNull();
    expect(canonicalRange('10.0.0.0/33')).toBeNull();
  });
});
