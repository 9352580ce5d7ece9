import * as ipaddr from 'ipaddr.js';

/**
 * The IPv6 allocation a client key belongs to: `2001:db8:1:2::/64` at prefix 56 is
 * `2001:db8:1::/56`. IPv4 keys (and anything that is not an IPv6 key) are returned as they are,
 * and a key already coarser than `prefix` stays as coarse as it is. Used by the sign-in rules,
 * which count per allocation so that a holder of a /56 or /48 gets one budget, not 256 or 65,536.
 */
export function allocationOf(client: string, prefix: number): string {
  if (!client.includes(':')) return client;
  const slash = client.indexOf('/');
  const address = slash < 0 ? client : client.slice(0, slash);
  const keyBits = slash < 0 ? 128 : Number(client.slice(slash + 1));
  const bits = Math.min(prefix, Number.isInteger(keyBits) ? keyBits : 128);
  try {
    if (!ipaddr.IPv6.isValid(address)) return client;
    return `${ipaddr.IPv6.networkAddressFromCIDR(`${address}/${bits}`).toString()}/${bits}`;
  } catch {
    return client;
  }
}

/** Whether a client key is an IPv6 address or prefix. */
export function isIpv6Key(client: string): boolean {
  return client.includes(':');
}
