/**
 * What the docker provider's destroy, redeploy, health and indicators accept from a runbook, checked before
 * the daemon is contacted: a pinned image by digest only, overrides (a credential only as a secret
 * reference, each redacted value supplied or dropped), a probe to loopback or an allowed host only, and
 * indicators with absolute paths, bounded patterns and 64-hex hashes; and what the spec redacts.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { checkProbe } from '../../../src/infra/docker/health.js';
import { checkIndicators, MAX_PATTERN_LENGTH } from '../../../src/infra/docker/indicators.js';
import { parseOverrides, requireRedactedSupplied } from '../../../src/infra/docker/overrides.js';
import { checkPinnedImage } from '../../../src/infra/docker/redeploy.js';
import { redactionOf, specEnv, type DockerSpec } from '../../../src/infra/docker/spec.js';
import type { Indicator, JsonValue } from '../../../src/infra/types.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function refusal(call: () => unknown): FirebreakError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
    return error as FirebreakError;
  }
  throw new Error('expected a refusal');
}

describe('checkPinnedImage', () => {
  it('takes repository@sha256 with or without a registry host and port, and a tag before the digest (checked later)', () => {
    for (const ref of [`shop@${DIGEST}`, `127.0.0.1:5000/shop/web@${DIGEST}`, `registry.example/a.b-c/d_e@${DIGEST}`]) {
      expect(checkPinnedImage({ kind: 'image', ref })).toEqual({ ref, repository: ref.split('@')[0], digest: DIGEST, byDigest: ref });
    }
    expect(checkPinnedImage({ kind: 'image', ref: `127.0.0.1:5000/shop:fixed@${DIGEST}` })).toEqual({
      ref: `127.0.0.1:5000/shop:fixed@${DIGEST}`,
      repository: '127.0.0.1:5000/shop',
      tag: 'fixed',
      digest: DIGEST,
      byDigest: `127.0.0.1:5000/shop@${DIGEST}`,
    });
  });

  it('refuses a tag alone, a bare or short digest, a bad repository and another kind, naming the ref', () => {
    for (const ref of ['shop:1.4', '127.0.0.1:5000/shop', DIGEST, 'shop@sha256:abc', `shop:1.4@sha256:${'A'.repeat(64)}`, `Shop@${DIGEST}`]) {
      expect(refusal(() => checkPinnedImage({ kind: 'image', ref })).message).toContain(JSON.stringify(ref));
    }
    expect(refusal(() => checkPinnedImage({ kind: 'image', ref: 'shop:1.4' })).message).toContain('a tag alone can be moved');
    expect(refusal(() => checkPinnedImage({ kind: 'ami', ref: 'ami-123' })).message).toContain('artefact.kind must be `image`');
  });
});

describe('parseOverrides', () => {
  // Env values come from the step, rotated credentials from its secret params: refusals never repeat them.
  it('reads env, dropEnv, labels (null removes), name, networks and commands', () => {
    const parsed = parseOverrides({
      env: { LANG: 'C', API_TOKEN: 'rotated' },
      dropEnv: ['OLD'],
      labels: { tier: 'web', team: null },
      name: 'shop-2',
      networks: ['front'],
      cmd: ['sleep', '1'],
      healthcheck: null,
    });
    expect([...parsed.env]).toEqual([
      ['LANG', 'C'],
      ['API_TOKEN', 'rotated'],
    ]);
    expect(parsed).toMatchObject({ name: 'shop-2', networks: ['front'], cmd: ['sleep', '1'], healthcheck: null });
    expect([...parsed.labels]).toEqual([
      ['tier', 'web'],
      ['team', null],
    ]);
  });

  it('refuses bad env names and values, an unknown key, Firebreak labels, bad names and credentials in commands, each named', () => {
    const cases: Array<[Record<string, JsonValue>, RegExp]> = [
      [{ env: { DB_PASSWORD: { secret: 'hunter2' } } }, /overrides.env.DB_PASSWORD must be a string/],
      [{ env: { TOKEN: 'a\0hunter2' } }, /overrides.env.TOKEN must be a string without NUL/],
      [{ env: { 'BAD=NAME': 'x' } }, /is not an environment variable name/],
      [{ image: 'x' }, /overrides.image is not an override Docker takes/],
      [{ labels: { 'firebreak.replaces': 'x' } }, /firebreak.\* labels are Firebreak's own/],
      [{ name: '../etc' }, /overrides.name must be a container name/],
      [{ cmd: ['run', '--password=hunter2'] }, /overrides.cmd holds a credential/],
      [{ dropEnv: 'API_TOKEN' }, /overrides.dropEnv must be a list/],
    ];
    for (const [overrides, message] of cases) {
      const error = refusal(() => parseOverrides(overrides));
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('requires each redacted value supplied or dropped, naming every one missing', () => {
    const spec = { redacted: ['env:API_TOKEN', 'env:MIRROR', 'label:source', 'cmd'] } as DockerSpec;
    const error = refusal(() => requireRedactedSupplied(spec, parseOverrides({ dropEnv: ['MIRROR'] })));
    expect(error.message).toContain('environment variable API_TOKEN, label source, cmd');
    expect(error.message).not.toContain('MIRROR');
    expect(() =>
      requireRedactedSupplied(
        spec,
        parseOverrides({ env: { API_TOKEN: 'rotated' }, dropEnv: ['MIRROR'], labels: { source: null }, cmd: ['sleep', '1'] }),
      ),
    ).not.toThrow();
  });
});

describe('spec redaction', () => {
  it('keeps credentials by name only: credential names, URL userinfo, --password= flags, long values', () => {
    expect(specEnv('LANG', 'C')).toEqual({ name: 'LANG', value: 'C' });
    expect(specEnv('STRIPE_SECRET', 'x')).toEqual({ name: 'STRIPE_SECRET', redacted: true, reason: 'credential-name' });
    expect(specEnv('UPSTREAM', 'postgres://app:pw@db/x')).toEqual({ name: 'UPSTREAM', redacted: true, reason: 'url-userinfo' });
    expect(specEnv('MIRROR', 'https://token@git.example/x')).toMatchObject({ redacted: true, reason: 'url-userinfo' });
    expect(specEnv('CERT', 'x'.repeat(5000))).toMatchObject({ redacted: true, reason: 'too-long' });
    expect(redactionOf('--db-password=hunter2')).toBe('credential-flag');
    expect(redactionOf('https://example.com/path@v2')).toBeUndefined();
  });
});

describe('checkProbe', () => {
  it('takes http(s) to loopback or an allowed host', () => {
    for (const url of ['http://127.0.0.1:8080/health', 'https://localhost/', 'http://[::1]:9000/', 'http://shop.internal/ready']) {
      expect(checkProbe({ url }, ['shop.internal']).url.href).toBe(new URL(url).href);
    }
  });

  it('refuses another host, another scheme, userinfo and a bad status before any request', () => {
    const bad = [
      { url: 'http://169.254.169.254/latest/meta-data/' },
      { url: 'http://127.0.0.1.nip.io/' },
      { url: 'http://10.0.0.1/' },
      { url: 'ftp://127.0.0.1/' },
      { url: 'http://user:pw@127.0.0.1/' },
      { url: 'nope' },
      { url: 'http://127.0.0.1/', expectStatus: 99 },
    ];
    for (const probe of bad) refusal(() => checkProbe(probe, ['shop.internal']));
  });
});

describe('checkIndicators', () => {
  it('normalises a hash to lowercase and keeps patterns literal', () => {
    expect(checkIndicators([{ kind: 'hash', path: '/x', sha256: 'AB'.repeat(32) }, { kind: 'process', pattern: '(a+)+$' }])).toEqual([
      { kind: 'hash', path: '/x', sha256: 'ab'.repeat(32) },
      { kind: 'process', pattern: '(a+)+$' },
    ]);
  });

  it('refuses relative or NUL paths, long patterns, bad hashes, unknown kinds and empty or huge lists', () => {
    const bad: unknown[][] = [
      [],
      Array.from({ length: 101 }, () => ({ kind: 'file', path: '/x' })),
      [{ kind: 'file', path: 'etc/passwd' }],
      [{ kind: 'file', path: '/etc/\0passwd' }],
      [{ kind: 'file', path: `/${'a'.repeat(5000)}` }],
      [{ kind: 'process', pattern: 'x'.repeat(MAX_PATTERN_LENGTH + 1) }],
      [{ kind: 'hash', path: '/x', sha256: 'z'.repeat(64) }],
      [{ kind: '__proto__', path: '/x' }],
      [null],
    ];
    for (const indicators of bad) refusal(() => checkIndicators(indicators as Indicator[]));
  });
});
