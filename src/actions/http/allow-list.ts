/**
 * The `actions.http.allow` list: entries like `https://keys.internal.example`, `https://*.example.com`,
 * `http://127.0.0.1:*` or `https://api.example.com/v1/`. A URL is allowed when one entry matches its scheme,
 * host (a leading `*.` matches any subdomain, not the domain itself), port (`*` for any; absent means the
 * scheme's default) and, when the entry has one, path prefix (on a segment boundary).
 */
import { ErrorCode, FirebreakError } from '../../domain/errors.js';

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
}

const ENTRY = /^(https?):\/\/(\*\.)?(\[[0-9a-fA-F:.]+\]|[^/:[\]*@?#\s]+)(?::(\*|\d{1,5}))?(\/[^?#]*)?$/;
const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** Strips the dot that a fully qualified name may end with, so `example.com.` matches `example.com`. */
export function canonicalHost(hostname: string): string {
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}

/** Parses one entry, throwing INVALID_INPUT with the entry in the message when it is malformed. */
export function parseAllowEntry(source: string): AllowEntry {
  const match = ENTRY.exec(source.trim());
  const invalid = () =>
    new FirebreakError(
      ErrorCode.InvalidInput,
      `actions.http.allow entry "${source}" is not like https://host, https://*.example.com, http://host:* or https://host/path/`,
    );
  if (!match) throw invalid();
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
  };
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
  const host = canonicalHost(url.hostname);
  const port = url.port === '' ? (DEFAULT_PORT[url.protocol] ?? '') : url.port;
  return list.find(
    (entry) =>
      entry.protocol === url.protocol &&
      hostMatches(entry, host) &&
      (entry.port === '*' || entry.port === port) &&
      pathMatches(entry.path, url.pathname),
  );
}
