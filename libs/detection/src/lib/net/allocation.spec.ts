import { allocationOf, isIpv6Key } from './allocation';

describe('allocationOf', () => {
  it('groups IPv6 client keys per allocation and leaves IPv4 alone', () => {
    expect(allocationOf('2001:db8:1:2::/64', 56)).toBe('2001:db8:1::/56');
    expect(allocationOf('2001:db8:1:2ff::/64', 56)).toBe('2001:db8:1:200::/56');
    expect(allocationOf('2001:db8:1:2::/64', 48)).toBe('2001:db8:1::/48');
    expect(allocationOf('2001:db8::1', 64)).toBe('2001:db8::/64');
    // A key already coarser than the prefix stays as coarse.
    expect(allocationOf('2001:db8::/32', 48)).toBe('2001:db8::/32');
    expect(allocationOf('192.0.2.1', 48)).toBe('192.0.2.1');
    expect(allocationOf('unknown', 48)).toBe('unknown');
    expect(isIpv6Key('2001:db8::/64')).toBe(true);
    expect(isIpv6Key('192.0.2.1')).toBe(false);
  });
});
