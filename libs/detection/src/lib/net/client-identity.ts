import * as ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** A list of CIDRs (or single addresses) to test addresses against. */
export class CidrList {
  private readonly ranges: [Address, number][];
  constructor(readonly entries: string[]) {
    this.ranges = entries.map(parseRange);
  }
  get size(): number {
    return this.ranges.length;
  }
  /** The entry that contains the address, or null. */
  match(address: string): string | null {
    if (this.ranges.length === 0) return null;
    const a = parseAddress(address);
    if (!a) return null;
    for (let i = 0; i < this.ranges.length; i++) {
      const [net, bits] = this.ranges[i]!;
      if (a.kind() === net.kind() && a.match(net, bits)) return this.entries[i]!;
    }
    return null;
  }
}

/** An address or CIDR as `[network, prefix length]`; IPv4-mapped IPv6 becomes IPv4. */
export function parseRange(s: string): [Address, number] {
  if (s.includes('/')) {
    const [addr, bits] = ipaddr.parseCIDR(s);
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      return [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96];
    }
    return [addr, bits];
  }
  const a = ipaddr.process(s);
  return [a, a.kind() === 'ipv4' ? 32 : 128];
}

/** Canonical form of a CIDR or address (`10.0.0.0/8`, `2001:db8::/48`), or null if invalid. */
export function canonicalRange(s: string): string | null {
  try {
    const [net, bits] = parseRange(s.trim());
    const full = net.kind() === 'ipv4' ? 32 : 128;
    if (bits === full) return net.toString();
    const network =
      net.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(`${net.toString()}/${bits}`)
        : ipaddr.IPv6.networkAddressFromCIDR(`${net.toString()}/${bits}`);
    return `${network.toString()}/${bits}`;
  } catch {
    return null;
  }
}

function parseAddress(s: string): Address | null {
  // Client keys of IPv6 prefixes end in /64: test the network address.
  const plain = s.includes('/') ? s.slice(0, s.indexOf('/')) : s;
  try {
    return ipaddr.process(plain);
  } catch {
    return null;
  }
}

/**
 * Who a request comes from. The socket peer, unless that peer is a trusted proxy: then the
 * right-most address of X-Forwarded-For / Forwarded that is not a trusted proxy. IPv4-mapped
 * IPv6 is plain IPv4; IPv6 clients are grouped per prefix (/64 by default), so rotating
 * addresses inside one allocation does not escape a limit.
 */
export class ClientIdentity {
  private readonly proxies: CidrList;
  private readonly cache = new Map<string, string>();

  constructor(
    trustedProxies: string[],
    private readonly ipv6Prefix = 64,
  ) {
    this.proxies = new CidrList(trustedProxies);
  }

  resolve(peer: string | undefined, headers: Record<string, string | string[] | undefined>): string {
    const direct = peer ?? 'unknown';
    if (this.proxies.size === 0 || !this.proxies.match(direct)) return this.key(direct);
    const chain = forwardedChain(headers);
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = chain[i]!;
      if (!this.proxies.match(hop)) return this.key(hop);
    }
    return this.key(chain[0] ?? direct);
  }

  /** The client key of one address. Cached: the same few addresses come again and again. */
  key(address: string): string {
    const hit = this.cache.get(address);
    if (hit !== undefined) return hit;
    let key: string;
    try {
      const a = ipaddr.process(address);
      if (a.kind() === 'ipv4' || this.ipv6Prefix >= 128) key = a.toString();
      else key = `${ipaddr.IPv6.networkAddressFromCIDR(`${a.toString()}/${this.ipv6Prefix}`).toString()}/${this.ipv6Prefix}`;
    } catch {
      key = 'invalid';
    }
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(address, key);
    return key;
  }
}

/** Addresses from X-Forwarded-For, or else RFC 7239 Forwarded, left (origin) to right. */
function forwardedChain(headers: Record<string, string | string[] | undefined>): string[] {
  const xff = headers['x-forwarded-for'];
  const out: string[] = [];
  if (xff) {
    for (const part of ([] as string[]).concat(xff).join(',').split(',')) {
      const a = cleanAddress(part);
      if (a) out.push(a);
    }
    return out;
  }
  const fwd = headers['forwarded'];
  if (fwd) {
    for (const element of ([] as string[]).concat(fwd).join(',').split(',')) {
      const m = /for=("?)([^;,"]+)\1/i.exec(element);
      if (m) {
        const a = cleanAddress(m[2]!);
        if (a) out.push(a);
      }
    }
  }
  return out;
}

/** Strips ports and brackets (`[2001:db8::1]:443`, `1.2.3.4:80`); null if not an address. */
function cleanAddress(raw: string): string | null {
  let s = raw.trim();
  if (s.startsWith('[')) s = s.slice(1, s.indexOf(']'));
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  return ipaddr.isValid(s) ? s : null;
}
