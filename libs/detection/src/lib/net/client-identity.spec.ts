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
    const viaForwarded = new ClientIdentity(['10.0.0.0/8'], 64, 'forwarded');
    expect(viaForwarded.resolve('10.0.0.5', { forwarded: 'for=198.51.100.1;proto=https, for="[2001:db8:1:2::99]:443"' })).toBe(
      '2001:db8:1:2::/64',
    );
    expect(proxied.resolve('10.0.0.5', { 'x-forwarded-for': '203.0.113.9:51234' })).toBe('203.0.113.9');
    // An untrusted peer's header is ignored.
    expect(proxied.resolve('192.0.2.77', { 'x-forwarded-for': '203.0.113.9' })).toBe('192.0.2.77');
    // Garbage in the header does not become a client.
    expect(proxied.resolve('10.0.0.5', { 'x-forwarded-for': 'not-an-ip, <script>' })).toBe('10.0.0.5');
  });

  it('answers a repeated chain from memory exactly as it parsed it, per peer and per header text', () => {
    const cached = new ClientIdentity(['10.0.0.0/8']);
    const chains = ['198.51.100.1, 203.0.113.9', '203.0.113.9, 10.1.1.1', 'junk', ` ${'198.51.100.1, '.repeat(40)}203.0.113.7`];
    for (let round = 0; round < 3; round++)
      for (const xff of chains)
        for (const peer of ['10.0.0.5', '192.0.2.77'])
          expect(cached.resolve(peer, { 'x-forwarded-for': xff })).toBe(
            new ClientIdentity(['10.0.0.0/8']).resolve(peer, { 'x-forwarded-for': xff }),
          );
    // Repeated header lines are one list, whether they arrive as one line or two.
    expect(cached.resolve('10.0.0.5', { 'x-forwarded-for': ['198.51.100.1', '203.0.113.9'] })).toBe('203.0.113.9');
    expect(cached.resolve('10.0.0.5', { 'x-forwarded-for': ['198.51.100.1, 203.0.113.9'] })).toBe('203.0.113.9');
    expect(cached.resolve('10.0.0.5', {})).toBe('10.0.0.5');
  });

  it('answers whether a peer is a trusted proxy by the same list the forwarding headers are read by', () => {
    const id = new ClientIdentity(['10.0.0.0/8', '2001:db8::/32']);
    expect(id.isTrustedProxy('10.1.2.3')).toBe(true);
    expect(id.isTrustedProxy('::ffff:10.1.2.3')).toBe(true);
    expect(id.isTrustedProxy('2001:db8::7')).toBe(true);
    expect(id.isTrustedProxy('11.0.0.1')).toBe(false);
    expect(id.isTrustedProxy(undefined)).toBe(false);
    // Asked again (cached), the answer is the same.
    expect(id.isTrustedProxy('10.1.2.3')).toBe(true);
    expect(id.isTrustedProxy('11.0.0.1')).toBe(false);
    expect(new ClientIdentity([]).isTrustedProxy('10.1.2.3')).toBe(false);
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

describe('forwarding headers, exactly (security review L9)', () => {
  const proxy = '10.0.0.5';
  const xff = new ClientIdentity(['10.0.0.0/8']);
  const fwd = new ClientIdentity(['10.0.0.0/8'], 64, 'forwarded');
  const real = new ClientIdentity(['10.0.0.0/8'], 64, 'x-real-ip');

  it('reads only the header the proxy writes, never a mix', () => {
    const both = { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=1.2.3.7' };
    expect(xff.resolve(proxy, both)).toBe('6.6.6.6');
    expect(fwd.resolve(proxy, both)).toBe('1.2.3.7');
    expect(real.resolve(proxy, { 'x-real-ip': '198.51.100.4', 'x-forwarded-for': '6.6.6.6' })).toBe('198.51.100.4');
    // The configured header missing: the proxy itself is the client.
    expect(fwd.resolve(proxy, { 'x-forwarded-for': '6.6.6.6' })).toBe(proxy);
  });

  it('stops at the first hop that does not parse: the client is the trusted proxy that handed it over', () => {
    expect(xff.resolve(proxy, { 'x-forwarded-for': '1.2.3.5, garbage' })).toBe(proxy);
    expect(xff.resolve(proxy, { 'x-forwarded-for': '1.2.3.5, unknown, 10.1.1.1' })).toBe('10.1.1.1');
    expect(xff.resolve(proxy, { 'x-forwarded-for': '1.2.3.5,, 10.1.1.1' })).toBe('10.1.1.1');
    expect(fwd.resolve(proxy, { forwarded: 'for=1.2.3.5, for=unknown' })).toBe(proxy);
    expect(fwd.resolve(proxy, { forwarded: 'for=1.2.3.5, for="_gazonk"' })).toBe(proxy);
    expect(fwd.resolve(proxy, { forwarded: 'for=1.2.3.5, proto=https' })).toBe(proxy);
    expect(real.resolve(proxy, { 'x-real-ip': '1.2.3.5, 1.2.3.6' })).toBe(proxy);
  });

  it('matches for= exactly, with quotes, ports and brackets', () => {
    expect(fwd.resolve(proxy, { forwarded: 'notfor=1.2.3.10' })).toBe(proxy);
    expect(fwd.resolve(proxy, { forwarded: 'proto=https;For="192.0.2.60:8080";by=10.0.0.1' })).toBe('192.0.2.60');
    expect(fwd.resolve(proxy, { forwarded: 'for="[2001:db8:cafe::17]:4711"' })).toBe('2001:db8:cafe::/64');
    expect(fwd.resolve(proxy, { forwarded: ['for=198.51.100.1', 'for=203.0.113.9;host="a,b"'] })).toBe('203.0.113.9');
    expect(fwd.resolve(proxy, { forwarded: 'for="1.2.3.4' })).toBe(proxy);
  });

  it('takes canonical addresses only', () => {
    for (const bad of [
      '2130706433',
      '0x7f.1',
      '010.1.1.1',
      '127.1',
      '1.2.3.4.5',
      '1.2.3.256',
      'fe80::1%eth0',
      '::ffff:010.1.1.1',
      '[::1',
      '1.2.3.4:99999',
    ])
      expect([bad, xff.resolve(proxy, { 'x-forwarded-for': bad })]).toEqual([bad, proxy]);
    expect(xff.resolve(proxy, { 'x-forwarded-for': '::ffff:192.0.2.9' })).toBe('192.0.2.9');
    expect(xff.resolve(proxy, { 'x-forwarded-for': '[2001:db8::1]:443' })).toBe('2001:db8::/64');
    expect(xff.resolve(proxy, { 'x-forwarded-for': '0.0.0.0' })).toBe('0.0.0.0');
  });
});
