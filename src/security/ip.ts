// Is an IP address a public unicast address? Everything in the IANA special-purpose registries (RFC 6890
// and successors) is not: loopback, private, link-local, CGN, documentation, benchmarking, multicast,
// reserved, NAT64/6to4 wrappers of those. Used to refuse SSRF targets when fetching client metadata.
import { isIP } from 'node:net';

type Range4 = [number, number]; // [network, prefix length]

const V4_SPECIAL: Range4[] = [
  [0x00000000, 8], // 0.0.0.0/8 "this network"
  [0x0a000000, 8], // 10/8 private
  [0x64400000, 10], // 100.64/10 CGN
  [0x7f000000, 8], // 127/8 loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata)
  [0xac100000, 12], // 172.16/12 private
  [0xc0000000, 24], // 192.0.0/24 IETF protocol assignments
  [0xc0000200, 24], // 192.0.2/24 TEST-NET-1
  [0xc0586300, 24], // 192.88.99/24 6to4 relay
  [0xc0a80000, 16], // 192.168/16 private
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xc6336400, 24], // 198.51.100/24 TEST-NET-2
  [0xcb007100, 24], // 203.0.113/24 TEST-NET-3
  [0xe0000000, 4], // 224/4 multicast
  [0xf0000000, 4], // 240/4 reserved + broadcast
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

function isPublicV4(ip: string): boolean {
  const n = v4ToInt(ip);
  return !V4_SPECIAL.some(([net, len]) => n >>> (32 - len) === net >>> (32 - len));
}

/** Expand an IPv6 address to 8 16-bit groups. */
function v6Groups(ip: string): number[] {
  let addr = ip.toLowerCase();
  let tail: number[] = [];
  const lastColon = addr.lastIndexOf(':');
  if (addr.includes('.')) {
    // Embedded IPv4 (e.g. ::ffff:1.2.3.4)
    const v4 = v4ToInt(addr.slice(lastColon + 1));
    tail = [v4 >>> 16, v4 & 0xffff];
    addr = `${addr.slice(0, lastColon + 1)}0:0`;
    tail = tail.length ? tail : [];
  }
  const [head, rest] = addr.split('::') as [string, string | undefined];
  const h = head ? head.split(':').map((x) => parseInt(x || '0', 16)) : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':').map((x) => parseInt(x || '0', 16)) : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill(0), ...r];
  if (tail.length) groups.splice(6, 2, ...tail);
  return groups;
}

function isPublicV6(ip: string): boolean {
  const g = v6Groups(ip);
  if (g.length !== 8 || g.some((x) => Number.isNaN(x))) return false;
  if (g.every((x) => x === 0)) return false; // :: unspecified
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return false; // ::1 loopback
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return false; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return false; // fe80::/10 link-local
  if ((first & 0xffc0) === 0xfec0) return false; // fec0::/10 site-local (deprecated)
  if ((first & 0xff00) === 0xff00) return false; // ff00::/8 multicast
  if (first === 0x2001 && g[1] === 0x0db8) return false; // 2001:db8::/32 documentation
  if (first === 0x2001 && g[1]! < 0x0200) return false; // 2001::/23 IETF protocol assignments (Teredo, …)
  if (first === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return false; // 100::/64 discard
  if (first === 0x2002) return isPublicV4(`${g[1]! >> 8}.${g[1]! & 255}.${g[2]! >> 8}.${g[2]! & 255}`); // 6to4
  const v4 = `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return isPublicV4(v4); // ::ffff:0:0/96 mapped
  if (g.slice(0, 6).every((x) => x === 0)) return false; // ::/96 IPv4-compatible (deprecated)
  if (first === 0x0064 && g[1] === 0xff9b) return isPublicV4(v4); // 64:ff9b::/96 NAT64
  return true;
}

export function isPublicAddress(ip: string): boolean {
  const kind = isIP(ip);
  if (kind === 4) return isPublicV4(ip);
  if (kind === 6) return isPublicV6(ip.replace(/^\[|\]$/g, '').split('%')[0]!);
  return false;
}

export function isLoopbackAddress(ip: string): boolean {
  const kind = isIP(ip);
  if (kind === 4) return ip.startsWith('127.');
  if (kind === 6) {
    const g = v6Groups(ip);
    return (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) || (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff && g[6]! >> 8 === 127);
  }
  return false;
}
