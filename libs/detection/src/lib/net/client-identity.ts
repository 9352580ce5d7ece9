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

/** The header a trusted proxy writes the client's address into; only that one is read. */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded' | 'x-real-ip';
export const FORWARDED_HEADERS: readonly ForwardedHeader[] = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

/**
 * Who a request comes from. The socket peer, unless that peer is a trusted proxy: then the
 * header that proxy writes (`forwardedHeader`, one of them, never a mix: a client may send the
 * others itself) is walked from the right, past trusted proxies, to the first address that is
 * not one. Parsing is exact (security review L9):
 * - a hop must be a canonical address (`192.0.2.1`, `192.0.2.1:443`, `2001:db8::1`,
 *   `[2001:db8::1]:443`); `2130706433`, `0x7f.1`, `010.1.1.1` and zone ids are not addresses;
 * - in `Forwarded`, only a `for=` parameter counts (not `notfor=`), values may be quoted;
 * - the walk stops at the first hop that does not parse (`unknown`, an obfuscated `_id`,
 *   garbage). Everything left of it was written by someone we cannot vouch for, so the client
 *   is the last address we could: the trusted proxy that handed us that hop. Its budgets are
 *   then shared by whoever it cannot identify, which is conservative and visible.
 * IPv4-mapped IPv6 is plain IPv4; IPv6 clients are grouped per prefix (/64 by default); the
 * sign-in rules group coarser still (per /56 and /48, see the rules document).
 */
export class ClientIdentity {
  private readonly proxies: CidrList;
  private readonly cache = new Map<string, string>();
  private readonly trustedCache = new Map<string, boolean>();
  private readonly chainCache = new Map<string, string>();

  constructor(
    trustedProxies: string[],
    private readonly ipv6Prefix = 64,
    private readonly forwardedHeader: ForwardedHeader = 'x-forwarded-for',
  ) {
    this.proxies = new CidrList(trustedProxies);
  }

  /**
   * Whether the peer is one of the trusted proxies: the one rule for every place that takes a
   * peer's word (forwarding headers here, answers reported by a proxy, headers passed upstream).
   */
  isTrustedProxy(peer: string | undefined): boolean {
    if (peer === undefined || this.proxies.size === 0) return false;
    let trusted = this.trustedCache.get(peer);
    if (trusted === undefined) {
      trusted = this.proxies.match(peer) !== null;
      if (this.trustedCache.size >= 10_000) this.trustedCache.clear();
      this.trustedCache.set(peer, trusted);
    }
    return trusted;
  }

  resolve(peer: string | undefined, headers: Record<string, string | string[] | undefined>): string {
    const direct = peer ?? 'unknown';
    if (!this.isTrustedProxy(direct)) return this.key(direct);
    const raw = headers[this.forwardedHeader];
    if (raw === undefined) return this.key(direct);
    // A proxy sends the same few chains again and again: parsing each hop's address every time
    // was most of the cost of naming a proxied client. The answer depends on the peer and the
    // header's text alone.
    const chainKey = typeof raw === 'string' ? `${direct} ${raw}` : `${direct} ${raw.join(',')}`;
    // The client writes the start of the chain: a long one is parsed, not kept (10,000 keys of a few hundred bytes at most).
    if (chainKey.length > 256) return this.resolveChain(direct, headers);
    const hit = this.chainCache.get(chainKey);
    if (hit !== undefined) return hit;
    const client = this.resolveChain(direct, headers);
    if (this.chainCache.size >= 10_000) this.chainCache.clear();
    this.chainCache.set(chainKey, client);
    return client;
  }

  private resolveChain(direct: string, headers: Record<string, string | string[] | undefined>): string {
    let vouched = direct;
    const chain = forwardedChain(headers, this.forwardedHeader);
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = chain[i];
      if (hop === null || hop === undefined) break;
      if (!this.proxies.match(hop)) return this.key(hop);
      vouched = hop;
    }
    return this.key(vouched);
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

/**
 * The hops of the one header the proxy writes, left (origin) to right; null for a hop that is
 * not an address. Repeated header lines are one list (RFC 9110, 5.3).
 */
export function forwardedChain(headers: Record<string, string | string[] | undefined>, header: ForwardedHeader): (string | null)[] {
  const raw = headers[header];
  if (raw === undefined) return [];
  const value = ([] as string[]).concat(raw).join(',');
  if (header === 'x-real-ip') return [canonicalHop(value)];
  if (header === 'x-forwarded-for') return value.split(',').map(canonicalHop);
  return splitOutsideQuotes(value, ',').map((element) => {
    const node = forParameter(element);
    return node === null ? null : canonicalHop(node);
  });
}

/** The `for=` value of one RFC 7239 element (quotes and escapes removed), or null. */
function forParameter(element: string): string | null {
  for (const pair of splitOutsideQuotes(element, ';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
    const v = pair.slice(eq + 1).trim();
    if (v.startsWith('"')) {
      if (v.length < 2 || !v.endsWith('"')) return null;
      return v.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    return v;
  }
  return null;
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted && c === '\\' && i + 1 < s.length) {
      cur += c + s[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * One hop as a canonical address, ports and brackets stripped, or null. Only the standard
 * dotted-quad is IPv4 (`inet_aton` forms such as `2130706433`, `0x7f.1` or `010.1.1.1` would
 * name another address than the one a person reads).
 */
export function canonicalHop(raw: string): string | null {
  let s = raw.trim();
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    const rest = s.slice(close + 1);
    if (rest !== '' && !(rest.startsWith(':') && isPort(rest.slice(1)))) return null;
    s = s.slice(1, close);
    return isCanonicalIpv6(s) ? s : null;
  }
  const v4port = /^([^:]+):([^:]*)$/.exec(s);
  if (v4port) {
    if (!isPort(v4port[2]!)) return null;
    s = v4port[1]!;
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return s;
  return isCanonicalIpv6(s) ? s : null;
}

function isPort(s: string): boolean {
  return /^\d{1,5}$/.test(s) && Number(s) <= 65535;
}

function isCanonicalIpv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':') || !ipaddr.IPv6.isValid(s)) return false;
  // An embedded IPv4 part (`::ffff:192.0.2.1`) must be a dotted quad too.
  const dot = s.lastIndexOf(':');
  const tail = s.slice(dot + 1);
  return !tail.includes('.') || ipaddr.IPv4.isValidFourPartDecimal(tail);
}
