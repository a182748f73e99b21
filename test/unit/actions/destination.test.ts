/** SSRF checks on their own: no connection is made, so metadata addresses are safe to name here. */
import { describe, expect, it } from 'vitest';
import { compileAllowList } from '../../../src/actions/http/allow-list.js';
import {
  isLinkLocalOrMetadata,
  parseRequestUrl,
  vetDestination,
  type DestinationPolicy,
} from '../../../src/actions/http/destination.js';
import { rejection } from './support.js';

const policy = (overrides: Partial<DestinationPolicy> = {}): DestinationPolicy => ({
  allow: compileAllowList(['http://127.0.0.1:*', 'https://*.example.com']),
  allowLinkLocal: false,
  lookup: () => Promise.reject(new Error('no lookup expected')),
  ...overrides,
});

const vet = (url: string, overrides: Partial<DestinationPolicy> = {}) =>
  vetDestination(parseRequestUrl(url), policy(overrides));

const HINT = 'a link-local/metadata address; set actions.http.allowLinkLocal to allow it';

describe('http destination checks', () => {
  it.each([
    ['http://169.254.169.254/', '169.254.169.254'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe'],
    ['http://0xa9fea9fe/', '169.254.169.254'],
    ['http://0251.0376.0251.0376/', '169.254.169.254'],
    ['http://2852039166/', '169.254.169.254'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254'],
    ['http://[fe80::1]/', 'fe80::1'],
    ['http://100.100.100.200/', '100.100.100.200'],
    ['http://[64:ff9b::169.254.169.254]/', '64:ff9b::a9fe:a9fe'],
  ])('refuses %s as %s', async (url, shown) => {
    const error = await rejection(vet(url));
    expect([error.code, error.message]).toEqual(['NOT_ALLOWED', `${shown} is ${HINT}`]);
  });

  it.each(['metadata', 'metadata.google.internal', 'metadata.google.internal.'])(
    'refuses the metadata name %s without resolving it',
    async (host) => {
      const error = await rejection(vet(`http://${host}/computeMetadata/v1/`));
      expect(error.message).toBe(
        `${host.replace(/\.$/, '')} is a cloud metadata host name; set actions.http.allowLinkLocal to allow it`,
      );
    },
  );

  it('allows link-local addresses only when configured and allow-listed', async () => {
    const allow = compileAllowList(['http://169.254.169.254']);
    const vetted = await vet('http://169.254.169.254/latest/', { allow, allowLinkLocal: true });
    expect(vetted.addresses).toEqual([{ address: '169.254.169.254', family: 4 }]);
    const refused = await rejection(vet('http://169.254.169.254/latest/', { allowLinkLocal: true }));
    expect(refused.message).toBe('http://169.254.169.254 is not in actions.http.allow');
  });

  it('does not resolve a name that is not allow-listed', async () => {
    const error = await rejection(vet('https://evil.test/'));
    expect(error.message).toBe('https://evil.test is not in actions.http.allow');
  });

  it('returns every resolved address when all are acceptable', async () => {
    const lookup = () =>
      Promise.resolve([
        { address: '93.184.215.14', family: 4 as const },
        { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 as const },
      ]);
    const vetted = await vet('https://api.example.com/x', { lookup });
    expect(vetted.hostname).toBe('api.example.com');
    expect(vetted.addresses.map((a) => a.address)).toEqual(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']);
  });

  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.254', 'shared (CGNAT)'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'reserved'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
  ])('refuses a name that resolves to %s (%s) under any entry without via', async (address, kind) => {
    const lookup = () => Promise.resolve([{ address, family: address.includes(':') ? (6 as const) : (4 as const) }]);
    const error = await rejection(vet('https://api.example.com/x', { lookup }));
    expect([error.code, error.message]).toEqual([
      'NOT_ALLOWED',
      `api.example.com resolves to ${address}, a ${kind} address; to permit it, add "via ${address}" ` +
        '(or a CIDR holding it) to the entry "https://*.example.com" in actions.http.allow',
    ]);
  });

  it.each([
    '8.8.8.8',
    '100.63.255.255',
    '100.128.0.1',
    '172.15.255.255',
    '172.32.0.1',
    '192.169.0.1',
    '2001:4860::8888',
  ])('accepts the public address %s', async (address) => {
    const lookup = () => Promise.resolve([{ address, family: address.includes(':') ? (6 as const) : (4 as const) }]);
    expect((await vet('https://api.example.com/x', { lookup })).addresses).toEqual([
      { address, family: address.includes(':') ? 6 : 4 },
    ]);
  });

  it('permits non-public addresses only inside the via ranges of a matching entry, and all of them', async () => {
    const allow = compileAllowList([
      'https://*.example.com',
      'https://vault.example.com via 10.20.0.0/16,fd00:20::/32',
    ]);
    const resolvesTo =
      (...addresses: string[]) =>
      () =>
        Promise.resolve(
          addresses.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) })),
        );
    const ok = await vet('https://vault.example.com/v1/', { allow, lookup: resolvesTo('10.20.3.4', 'fd00:20::7') });
    expect(ok.addresses.map((a) => a.address)).toEqual(['10.20.3.4', 'fd00:20::7']);
    const outside = await rejection(
      vet('https://vault.example.com/', { allow, lookup: resolvesTo('10.20.3.4', '10.21.0.1') }),
    );
    expect(outside.message).toMatch(/^vault\.example\.com resolves to 10\.21\.0\.1, a private address/);
    const other = await rejection(vet('https://api.example.com/', { allow, lookup: resolvesTo('10.20.3.4') }));
    expect(other.message).toMatch(/^api\.example\.com resolves to 10\.20\.3\.4, a private address/);
  });

  it('still refuses link-local through a via range unless allowLinkLocal is set', async () => {
    const allow = compileAllowList(['http://meta.example.com via 169.254.0.0/16']);
    const lookup = () => Promise.resolve([{ address: '169.254.169.254', family: 4 as const }]);
    const refused = await rejection(vet('http://meta.example.com/', { allow, lookup }));
    expect(refused.message).toBe(`meta.example.com resolves to 169.254.169.254, ${HINT}`);
    const vetted = await vet('http://meta.example.com/', { allow, lookup, allowLinkLocal: true });
    expect(vetted.addresses).toEqual([{ address: '169.254.169.254', family: 4 }]);
  });

  it('admits an IP literal URL by its own entry, loopback included', async () => {
    expect((await vet('http://127.0.0.1:8200/v1/')).addresses).toEqual([{ address: '127.0.0.1', family: 4 }]);
    const refused = await rejection(vet('http://127.0.0.2:8200/v1/'));
    expect(refused.message).toBe('http://127.0.0.2:8200 is not in actions.http.allow');
  });

  it('classifies addresses', () => {
    expect(isLinkLocalOrMetadata('169.254.0.1')).toBe(true);
    expect(isLinkLocalOrMetadata('::a9fe:a9fe')).toBe(true);
    expect(isLinkLocalOrMetadata('169.253.255.255')).toBe(false);
    expect(isLinkLocalOrMetadata('127.0.0.1')).toBe(false);
    expect(isLinkLocalOrMetadata('fec0::1')).toBe(false);
    expect(isLinkLocalOrMetadata('not-an-ip')).toBe(false);
  });

  it('refuses malformed URLs as invalid input', async () => {
    const error = await rejection(Promise.resolve().then(() => parseRequestUrl('not a url')));
    expect([error.code, error.message]).toEqual(['INVALID_INPUT', 'url is not a valid absolute URL']);
  });
});
