/**
 * The `actions.http.allow` list: entries like `https://keys.internal.example`, `https://*.example.com`,
 * `http://127.0.0.1:*` or `https://api.example.com/v1/`. A URL is allowed when one entry matches its scheme,
 * host (a leading `*.` matches any subdomain, not the domain itself), port (`*` for any; absent means the
 * scheme's default) and, when the entry has one, path prefix (on a segment boundary).
 *
 * A host name must resolve to public addresses. An entry that should reach a private, loopback or
 * link-local address says so by address: an IP literal host (`http://127.0.0.1:8200`) is that address, and
 * `via` lists the ranges a name may resolve to (`https://*.corp.example via 10.20.0.0/16,fd00:20::/32`).
 */
import type net from 'node:net';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { parseAddressRange, rangeList, type AddressRange } from './address-ranges.js';

/** One parsed allow-list entry. */
export interface AllowEntry {
  source: string;
  protocol: 'http:' | 'https:';
  /** Host as the URL parser spells it (lower case, IPv6 in brackets), without the `*.` of a wildcard. */
  host: string;
  wildcard: boolean;
  /** `*` or a port number as a string (the scheme's default filled in). */
  port: string;
  /** A path prefix, `/` when the entry has none. */
  path: string;
  /** The non-public ranges (`via`) the host name may resolve to, when the entry lists any. */
  via?: { ranges: AddressRange[]; list: net.BlockList };
}

const ENTRY = /^(https?):\/\/(\*\.)?(\[[0-9a-fA-F:.]+\]|[^/:[\]*@?#\s]+)(?::(\*|\d{1,5}))?(\/[^?#]*)?$/;
const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** Strips the dot that a fully qualified name may end with, so `example.com.` matches `example.com`. */
export function canonicalHost(hostname: string): string {
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}

/** Parses one entry, throwing INVALID_INPUT with the entry in the message when it is malformed. */
export function parseAllowEntry(source: string): AllowEntry {
  const [target = '', viaText, ...extra] = source.trim().split(/\s+via\s+/);
  const match = ENTRY.exec(target);
  const invalid = () =>
    new FirebreakError(
      ErrorCode.InvalidInput,
      `actions.http.allow entry "${source}" is not like https://host, https://*.example.com, http://host:* or https://host/path/`,
    );
  if (!match || extra.length > 0) throw invalid();
  const via = viaText === undefined ? undefined : parseVia(source, viaText);
  const [, scheme, star, rawHost, rawPort, rawPath] = match;
  let parsed: URL;
  try {
    // The URL parser gives the same spelling to the entry's host as to a request's host (case, IP forms).
    parsed = new URL(`${scheme}://${rawHost}/`);
  } catch {
    throw invalid();
  }
  const protocol = parsed.protocol as AllowEntry['protocol'];
  return {
    source,
    protocol,
    host: canonicalHost(parsed.hostname),
    wildcard: star !== undefined,
    port: rawPort === undefined ? (DEFAULT_PORT[protocol] ?? '') : rawPort === '*' ? '*' : String(Number(rawPort)),
    path: rawPath ?? '/',
    ...(via === undefined ? {} : { via }),
  };
}

/** `via 10.0.0.0/8,fd00::/8`: comma-separated CIDRs or addresses. */
function parseVia(source: string, text: string): NonNullable<AllowEntry['via']> {
  const ranges = text.split(',').map((part) => {
    const range = parseAddressRange(part.trim());
    if (range === undefined) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `actions.http.allow entry "${source}": "${part.trim()}" after via is not an address or CIDR like 10.0.0.0/8`,
      );
    }
    return range;
  });
  return { ranges, list: rangeList(ranges) };
}

/** Parses every entry of the list. */
export function compileAllowList(entries: readonly string[]): AllowEntry[] {
  return entries.map(parseAllowEntry);
}

function hostMatches(entry: AllowEntry, host: string): boolean {
  return entry.wildcard ? host.endsWith(`.${entry.host}`) : host === entry.host;
}

function pathMatches(prefix: string, pathname: string): boolean {
  if (prefix === '/' || pathname === prefix) return true;
  // `/v1` must not admit `/v1-admin`: a prefix matches whole segments only.
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return pathname.startsWith(base);
}

/** The first entry that admits `url`, if any. */
export function findAllowEntry(list: readonly AllowEntry[], url: URL): AllowEntry | undefined {
  return findAllowEntries(list, url)[0];
}

/** Every entry that admits `url`, in list order. */
export function findAllowEntries(list: readonly AllowEntry[], url: URL): AllowEntry[] {
  const host = canonicalHost(url.hostname);
  const port = url.port === '' ? (DEFAULT_PORT[url.protocol] ?? '') : url.port;
  return list.filter(
    (entry) =>
      entry.protocol === url.protocol &&
      hostMatches(entry, host) &&
      (entry.port === '*' || entry.port === port) &&
      pathMatches(entry.path, url.pathname),
  );
}
