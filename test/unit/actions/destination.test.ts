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
        { address: '10.0.0.1', family: 4 as const },
        { address: '2001:db8::1', family: 6 as const },
      ]);
    const vetted = await vet('https://api.example.com/x', { lookup });
    expect(vetted.hostname).toBe('api.example.com');
    expect(vetted.addresses.map((a) => a.address)).toEqual(['10.0.0.1', '2001:db8::1']);
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
