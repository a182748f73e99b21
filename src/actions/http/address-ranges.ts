/**
 * Which IP addresses are not on the public internet: loopback, private, shared (CGNAT), link-local,
 * unspecified, multicast and reserved ranges, IPv4 and IPv6. IPv4-mapped IPv6 (::ffff:a.b.c.d) is matched by
 * `BlockList` itself; NAT64 (64:ff9b::a.b.c.d) spellings of the IPv4 ranges are listed explicitly, and the
 * deprecated IPv4-compatible form (::a.b.c.d) is refused whole. Also CIDR parsing for allow-list entries.
 */
import net from 'node:net';

/** IPv4 ranges that are not public, with the word used in refusals. */
const IPV4_RANGES: ReadonlyArray<[network: string, prefix: number, kind: string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** IPv6 ranges that are not public. */
const IPV6_RANGES: ReadonlyArray<[network: string, prefix: number, kind: string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved'],
  ['64:ff9b:1::', 48, 'private'],
  ['100::', 64, 'reserved'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'],
  ['ff00::', 8, 'multicast'],
];

/** One BlockList per kind, so a refusal can say which kind of address it met. */
const KINDS = new Map<string, net.BlockList>();
function rangesOf(kind: string): net.BlockList {
  let list = KINDS.get(kind);
  if (list === undefined) {
    list = new net.BlockList();
    KINDS.set(kind, list);
  }
  return list;
}
for (const [network, prefix, kind] of IPV4_RANGES) {
  rangesOf(kind).addSubnet(network, prefix, 'ipv4');
  rangesOf(kind).addSubnet(`64:ff9b::${network}`, 96 + prefix, 'ipv6');
}
for (const [network, prefix, kind] of IPV6_RANGES) rangesOf(kind).addSubnet(network, prefix, 'ipv6');

/** The kind of non-public address `address` is (`loopback`, `private`, ...), or undefined for a public one. */
export function nonPublicKind(address: string): string | undefined {
  const family = net.isIP(address);
  if (family === 0) return undefined;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const [kind, list] of KINDS) if (list.check(address, type)) return kind;
  return undefined;
}

/** A CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address (a /32 or /128). */
export interface AddressRange {
  source: string;
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `text` as a CIDR or an address; undefined when it is neither. */
export function parseAddressRange(text: string): AddressRange | undefined {
  const match = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(text);
  const network = match?.[1];
  if (network === undefined) return undefined;
  const version = net.isIP(network);
  if (version === 0) return undefined;
  const bits = version === 6 ? 128 : 32;
  const prefix = match?.[2] === undefined ? bits : Number(match[2]);
  if (prefix > bits) return undefined;
  return { source: text, network, prefix, family: version === 6 ? 'ipv6' : 'ipv4' };
}

/** A BlockList holding `ranges`, to test addresses against. */
export function rangeList(ranges: readonly AddressRange[]): net.BlockList {
  const list = new net.BlockList();
  for (const range of ranges) list.addSubnet(range.network, range.prefix, range.family);
  return list;
}
