/**
 * SSRF protection for `http.request`: decides whether a URL may be called and which addresses it may
 * connect to. The caller must connect to exactly the addresses returned here (DNS rebinding defence).
 * A host name must resolve to public addresses only, unless a matching allow-list entry permits the
 * non-public ones by address (`via`); an IP literal URL is only ever admitted by an entry for that address.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { nonPublicKind } from './address-ranges.js';
import { canonicalHost, findAllowEntries, type AllowEntry } from './allow-list.js';

/** One resolved address, as `dns.lookup` with `all: true` returns it. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses; injectable so tests can point names anywhere. */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

/** Resolves through the system resolver (`dns.lookup`, all addresses, in resolver order). */
export const systemLookup: HostLookup = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** The policy a destination is checked against. */
export interface DestinationPolicy {
  allow: readonly AllowEntry[];
  allowLinkLocal: boolean;
  lookup: HostLookup;
}

/** A URL that passed every check, with the vetted addresses to connect to. */
export interface VettedDestination {
  url: URL;
  /** Host name without IPv6 brackets, as node:http expects it. */
  hostname: string;
  addresses: ResolvedAddress[];
}

// Link-local ranges hold every major cloud's instance metadata service (169.254.169.254, AWS's IPv6
// fd00:ec2::254, Alibaba's 100.100.100.200). IPv4-mapped IPv6 (::ffff:a.b.c.d) is matched by BlockList
// itself; the IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) spellings are listed explicitly.
const METADATA_ADDRESSES = new net.BlockList();
METADATA_ADDRESSES.addSubnet('169.254.0.0', 16, 'ipv4');
METADATA_ADDRESSES.addAddress('100.100.100.200', 'ipv4');
METADATA_ADDRESSES.addSubnet('fe80::', 10, 'ipv6');
METADATA_ADDRESSES.addAddress('fd00:ec2::254', 'ipv6');
METADATA_ADDRESSES.addSubnet('::a9fe:0', 112, 'ipv6');
METADATA_ADDRESSES.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');
METADATA_ADDRESSES.addAddress('::6464:64c8', 'ipv6');
METADATA_ADDRESSES.addAddress('64:ff9b::6464:64c8', 'ipv6');

const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

const LINK_LOCAL_HINT = 'set actions.http.allowLinkLocal to allow it';

/** Whether an IP address is link-local or a cloud metadata address. */
export function isLinkLocalOrMetadata(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return METADATA_ADDRESSES.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

function refuse(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.NotAllowed, message);
}

/** Parses `text` as an http(s) URL without credentials, or throws INVALID_INPUT / NOT_ALLOWED. */
export function parseRequestUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FirebreakError(ErrorCode.InvalidInput, 'url is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refuse(`${url.protocol}// URLs are not allowed; only http and https are`);
  }
  if (url.username !== '' || url.password !== '') {
    throw refuse(`${url.origin}: credentials in the URL are not allowed; send them in a header`);
  }
  return url;
}

/** Checks `url` against the policy and resolves it; throws NOT_ALLOWED naming the host and the reason. */
export async function vetDestination(url: URL, policy: DestinationPolicy): Promise<VettedDestination> {
  const host = canonicalHost(url.hostname);
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const literal = net.isIP(bare) !== 0;
  // Literal and well-known metadata hosts are refused before the allow-list so the reason is the real one.
  if (!policy.allowLinkLocal) {
    if (literal && isLinkLocalOrMetadata(bare)) {
      throw refuse(`${bare} is a link-local/metadata address; ${LINK_LOCAL_HINT}`);
    }
    if (METADATA_NAMES.has(host)) throw refuse(`${host} is a cloud metadata host name; ${LINK_LOCAL_HINT}`);
  }
  const entries = findAllowEntries(policy.allow, url);
  if (entries.length === 0) throw refuse(`${url.origin} is not in actions.http.allow`);
  // An IP literal only matches an entry for that very address: it is permitted by address already.
  if (literal) return { url, hostname: bare, addresses: [{ address: bare, family: net.isIP(bare) === 6 ? 6 : 4 }] };
  const addresses = await resolve(host, policy.lookup);
  // Refuse when ANY address is bad: a resolver may rotate, and we only connect to what we checked.
  if (!policy.allowLinkLocal) {
    const bad = addresses.find((entry) => isLinkLocalOrMetadata(entry.address));
    if (bad) throw refuse(`${host} resolves to ${bad.address}, a link-local/metadata address; ${LINK_LOCAL_HINT}`);
  }
  for (const { address } of addresses) {
    const kind = nonPublicKind(address);
    if (kind === undefined || entries.some((entry) => permitsAddress(entry, address))) continue;
    throw refuse(
      `${host} resolves to ${address}, a ${kind} address; to permit it, add "via ${address}" (or a CIDR ` +
        `holding it) to the entry "${entries[0]?.source ?? url.origin}" in actions.http.allow`,
    );
  }
  return { url, hostname: host, addresses };
}

/** Whether the entry's `via` ranges hold `address`. */
function permitsAddress(entry: AllowEntry, address: string): boolean {
  if (entry.via === undefined) return false;
  return entry.via.list.check(address, net.isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

async function resolve(host: string, lookup: HostLookup): Promise<ResolvedAddress[]> {
  let addresses: ResolvedAddress[];
  try {
    addresses = await lookup(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'lookup failed';
    // A name that does not resolve may be a DNS outage; let the step's retry policy decide.
    throw new FirebreakError(ErrorCode.Transient, `cannot resolve ${host} (${code})`);
  }
  if (addresses.length === 0) throw new FirebreakError(ErrorCode.Transient, `cannot resolve ${host} (no addresses)`);
  return addresses;
}
