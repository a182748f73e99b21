import { describe, expect, it } from 'vitest';
import { compileAllowList, findAllowEntry, parseAllowEntry } from '../../../src/actions/http/allow-list.js';

const allows = (entries: string[], url: string): string | undefined =>
  findAllowEntry(compileAllowList(entries), new URL(url))?.source;

describe('http allow-list', () => {
  it('parses scheme, host, default port and path', () => {
    expect(parseAllowEntry('https://Keys.Internal.Example')).toEqual({
      source: 'https://Keys.Internal.Example',
      protocol: 'https:',
      host: 'keys.internal.example',
      wildcard: false,
      port: '443',
      path: '/',
    });
    expect(parseAllowEntry('http://*.example.com:*/v1/')).toMatchObject({
      host: 'example.com',
      wildcard: true,
      port: '*',
      path: '/v1/',
    });
  });

  it('matches an exact host on the default port only', () => {
    const entries = ['https://keys.internal.example'];
    expect(allows(entries, 'https://keys.internal.example/revoke/k1')).toBe('https://keys.internal.example');
    expect(allows(entries, 'https://KEYS.internal.example./x')).toBe('https://keys.internal.example');
    expect(allows(entries, 'https://keys.internal.example:8443/x')).toBeUndefined();
    expect(allows(entries, 'http://keys.internal.example/x')).toBeUndefined();
    expect(allows(entries, 'https://keys.internal.example.evil.test/x')).toBeUndefined();
  });

  it('matches subdomains with *. but not the bare domain or look-alikes', () => {
    const entries = ['https://*.example.com'];
    expect(allows(entries, 'https://api.example.com/')).toBe('https://*.example.com');
    expect(allows(entries, 'https://a.b.example.com/')).toBe('https://*.example.com');
    expect(allows(entries, 'https://example.com/')).toBeUndefined();
    expect(allows(entries, 'https://evilexample.com/')).toBeUndefined();
  });

  it('matches any port with :*, and IP spellings after URL normalisation', () => {
    const entries = ['http://127.0.0.1:*'];
    expect(allows(entries, 'http://127.0.0.1:4567/x')).toBe('http://127.0.0.1:*');
    expect(allows(entries, 'http://0x7f000001:80/')).toBe('http://127.0.0.1:*');
    expect(allows(entries, 'http://127.0.0.2:80/')).toBeUndefined();
  });

  it('matches a path prefix on segment boundaries, after dot segments are removed', () => {
    const entries = ['https://api.example.com/v1'];
    expect(allows(entries, 'https://api.example.com/v1')).toBe('https://api.example.com/v1');
    expect(allows(entries, 'https://api.example.com/v1/keys')).toBe('https://api.example.com/v1');
    expect(allows(entries, 'https://api.example.com/v1-admin')).toBeUndefined();
    expect(allows(entries, 'https://api.example.com/v1/../admin')).toBeUndefined();
    expect(allows(entries, 'https://api.example.com/v1/%2e%2e/admin')).toBeUndefined();
  });

  it('reads via ranges after the URL, and refuses what is not an address or CIDR', () => {
    const entry = parseAllowEntry('https://*.corp.example via 10.20.0.0/16, fd00::/8 ,192.168.1.5');
    expect(entry).toMatchObject({ host: 'corp.example', wildcard: true, port: '443' });
    expect(entry.via?.ranges.map((range) => [range.network, range.prefix, range.family])).toEqual([
      ['10.20.0.0', 16, 'ipv4'],
      ['fd00::', 8, 'ipv6'],
      ['192.168.1.5', 32, 'ipv4'],
    ]);
    expect(allows(['https://*.corp.example via 10.0.0.0/8'], 'https://a.corp.example/')).toBe(
      'https://*.corp.example via 10.0.0.0/8',
    );
    expect(() => parseAllowEntry('https://x.example via 10.0.0.0/33')).toThrow(
      'actions.http.allow entry "https://x.example via 10.0.0.0/33": "10.0.0.0/33" after via is not an address or CIDR like 10.0.0.0/8',
    );
    expect(() => parseAllowEntry('https://x.example via corp.example')).toThrow('after via is not an address or CIDR');
    expect(() => parseAllowEntry('https://x.example via 10.0.0.0/8 via 10.0.0.1')).toThrow('is not like');
  });

  it('rejects malformed entries with the entry in the message', () => {
    expect(() => parseAllowEntry('ftp://files.example')).toThrow('actions.http.allow entry "ftp://files.example"');
    expect(() => parseAllowEntry('https://*')).toThrow('is not like');
    expect(() => parseAllowEntry('https://user@host.example')).toThrow('is not like');
    expect(() => parseAllowEntry('https://host.example?x=1')).toThrow('is not like');
  });
});
