import { LRUCache } from 'lru-cache';
import { CidrList, networkOf, parseAddress } from './cidr';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Who a request comes from, as one string key:
 * - the socket peer, unless that peer is a trusted proxy; then the right-most address of
 *   `X-Forwarded-For` (or else RFC 7239 `Forwarded`) that is not a trusted proxy. Anyone
 *   else's forwarding headers are ignored, so they cannot be spoofed;
 * - IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is the IPv4 address;
 * - IPv6 is grouped per prefix (/64 by default) as `2001:db8:1:2::/64`, so rotating through
 *   the addresses of one allocation does not escape a limit.
 */
export class ClientIdentity {
  private readonly proxies: CidrList;
  /** Address text → key; bounded (parsing is the costly part). */
  private readonly keys = new LRUCache<string, string>({ max: 10_000 });

  constructor(
    trustedProxies: readonly string[],
    private readonly ipv6Prefix = 64,
  ) {
    this.proxies = new CidrList(trustedProxies);
  }

  /** The client key of a request, given its socket peer address and headers. */
  resolve(peer: string | undefined, headers: Headers): string {
    const direct = peer ?? '';
    if (this.proxies.size === 0 || !this.isTrustedProxy(direct)) return this.key(direct);
    const chain = forwardedChain(headers);
    let last = direct;
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = chain[i];
      // An unparseable hop: the trusted proxy that reported it is the best we know.
      if (hop === null) return this.key(last);
      if (!this.isTrustedProxy(hop)) return this.key(hop);
      last = hop;
    }
    // Every hop is a trusted proxy (or there is no header).
    return this.key(last);
  }

  /** The key of one address (IPv6 → its prefix); `unknown` if it is not an address. */
  key(address: string): string {
    const hit = this.keys.get(address);
    if (hit !== undefined) return hit;
    const a = parseAddress(address);
    let key: string;
    if (!a) key = 'unknown';
    else if (a.kind() === 'ipv4' || this.ipv6Prefix >= 128) key = a.toString();
    else key = `${networkOf(a, this.ipv6Prefix).toString()}/${this.ipv6Prefix}`;
    this.keys.set(address, key);
    return key;
  }

  private isTrustedProxy(address: string): boolean {
    const a = parseAddress(address);
    return a !== null && this.proxies.match(a.toString()) !== null;
  }
}

/** Addresses from X-Forwarded-For, or else RFC 7239 Forwarded `for=`, origin first (null: not an address). */
export function forwardedChain(headers: Headers): (string | null)[] {
  const out: (string | null)[] = [];
  const xff = headers['x-forwarded-for'];
  if (xff !== undefined) {
    for (const part of ([] as string[]).concat(xff).join(',').split(',')) {
      out.push(cleanAddress(part));
    }
    return out;
  }
  const fwd = headers['forwarded'];
  if (fwd !== undefined) {
    for (const element of ([] as string[]).concat(fwd).join(',').split(',')) {
      const m = /(?:^|;)\s*for\s*=\s*("?)([^;,"]*)\1/i.exec(element);
      out.push(m ? cleanAddress(m[2]) : null);
    }
  }
  return out;
}

/** Strips brackets and ports (`[2001:db8::1]:443`, `192.0.2.1:80`); null if not an address. */
function cleanAddress(raw: string): string | null {
  let s = raw.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return null;
    s = s.slice(1, end);
  } else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(s)) {
    s = s.slice(0, s.lastIndexOf(':'));
  }
  const a = parseAddress(s);
  return a ? a.toString() : null;
}
