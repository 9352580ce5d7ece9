import * as ipaddr from 'ipaddr.js';

export type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Address parsing, strict: dotted-quad IPv4 (no `0x7f.1` or `2130706433` forms), IPv6, and
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) turned into plain IPv4. Null if not an address.
 */
export function parseAddress(raw: string): Address | null {
  const s = raw.trim();
  try {
    if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s);
    if (ipaddr.IPv6.isValid(s)) {
      const a = ipaddr.IPv6.parse(s);
      return a.isIPv4MappedAddress() ? a.toIPv4Address() : a;
    }
  } catch {
    /* not an address */
  }
  return null;
}

/** An address or CIDR as `[network, prefix length]`, normalised; null if invalid. */
export function parseRange(raw: string): [Address, number] | null {
  const s = raw.trim();
  const slash = s.indexOf('/');
  if (slash < 0) {
    const a = parseAddress(s);
    return a ? [a, a.kind() === 'ipv4' ? 32 : 128] : null;
  }
  const bitsText = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  let bits = Number(bitsText);
  const addrText = s.slice(0, slash);
  let addr: Address | null = null;
  if (ipaddr.IPv4.isValidFourPartDecimal(addrText)) {
    if (bits > 32) return null;
    addr = ipaddr.IPv4.parse(addrText);
  } else if (ipaddr.IPv6.isValid(addrText)) {
    if (bits > 128) return null;
    const v6 = ipaddr.IPv6.parse(addrText);
    if (v6.isIPv4MappedAddress() && bits >= 96) {
      addr = v6.toIPv4Address();
      bits -= 96;
    } else {
      addr = v6;
    }
  }
  if (!addr) return null;
  return [networkOf(addr, bits), bits];
}

/** The network address of `addr/bits`. */
export function networkOf(addr: Address, bits: number): Address {
  return addr.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
}

/** Canonical text of an address or CIDR (`10.0.0.0/8`, `2001:db8::/48`, `192.0.2.1`), or null. */
export function canonicalRange(raw: string): string | null {
  const r = parseRange(raw);
  if (!r) return null;
  const [net, bits] = r;
  const full = net.kind() === 'ipv4' ? 32 : 128;
  return bits === full ? net.toString() : `${net.toString()}/${bits}`;
}

export function isAddressOrCidr(raw: string): boolean {
  return parseRange(raw) !== null;
}

/**
 * A list of addresses and CIDRs to test clients against. Single addresses sit in a Set
 * (exact, O(1)); ranges in a small array checked with ipaddr.js `match`. Client keys may be
 * IPv6 prefixes (`2001:db8:1:2::/64`): their network address is what is tested.
 */
export class CidrList {
  private readonly exact = new Set<string>();
  private readonly ranges: { net: Address; bits: number; entry: string }[] = [];

  constructor(entries: Iterable<string> = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: string): void {
    const r = parseRange(entry);
    if (!r) throw new Error(`not an IP address or CIDR: ${entry}`);
    const [net, bits] = r;
    const full = net.kind() === 'ipv4' ? 32 : 128;
    if (bits === full) this.exact.add(net.toString());
    else this.ranges.push({ net, bits, entry: `${net.toString()}/${bits}` });
  }

  get size(): number {
    return this.exact.size + this.ranges.length;
  }

  /** The entry covering this client (an address or an IPv6 prefix key), or null. */
  match(client: string): string | null {
    if (this.size === 0) return null;
    if (this.exact.has(client)) return client;
    if (this.ranges.length === 0) return null;
    const slash = client.indexOf('/');
    const addr = parseAddress(slash < 0 ? client : client.slice(0, slash));
    if (!addr) return null;
    const clientBits = slash < 0 ? (addr.kind() === 'ipv4' ? 32 : 128) : Number(client.slice(slash + 1));
    for (const r of this.ranges) {
      // A prefix key is inside a range only if the whole prefix is (a /64 is not inside a /96).
      if (r.net.kind() === addr.kind() && r.bits <= clientBits && addr.match(r.net, r.bits)) return r.entry;
    }
    return null;
  }
}
