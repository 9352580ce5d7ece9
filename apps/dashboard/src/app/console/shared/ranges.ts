import * as ipaddr from 'ipaddr.js';

function parse(s: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  try {
    if (s.includes('/')) {
      const [a, bits] = ipaddr.parseCIDR(s);
      return [a, bits];
    }
    const a = ipaddr.process(s);
    return [a, a.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/** True when an address or range shares an address with another (a list entry covering a client). */
export function overlaps(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y || x[0].kind() !== y[0].kind()) return false;
  const [wide, narrow] = x[1] <= y[1] ? [x, y] : [y, x];
  return narrow[0].match(wide[0], wide[1]);
}

/** A valid address or CIDR, as typed by an admin. */
export function isAddressOrRange(s: string): boolean {
  return parse(s.trim()) !== null;
}

/** A bare address becomes a single-host CIDR (the lists take ranges). */
export function asCidr(client: string): string {
  if (client.includes('/')) return client;
  return client.includes(':') ? `${client}/128` : `${client}/32`;
}
