/** Selector checks shared by every infrastructure provider, and the TLS connection's secret handling. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, FirebreakError, NON_RETRYABLE_CODES } from '../../../src/domain/errors.js';
import { openDocker } from '../../../src/infra/docker/client.js';
import { deepFreeze, inventoryLimit, parseSelector } from '../../../src/infra/selector.js';
import type { TargetSelector } from '../../../src/infra/types.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';

function refusal(run: () => unknown): FirebreakError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FirebreakError);
    return error as FirebreakError;
  }
  throw new Error('expected a refusal');
}

describe('parseSelector', () => {
  it('takes exactly one of id, name, labels or image', () => {
    expect(parseSelector({ id: 'abc' })).toEqual({ by: 'id', value: 'abc' });
    expect(parseSelector({ name: 'web-1' })).toEqual({ by: 'name', value: 'web-1' });
    expect(parseSelector({ image: 'registry/app@sha256:00' })).toEqual({ by: 'image', value: 'registry/app@sha256:00' });
    const labels = parseSelector({ labels: { app: 'shop', constructor: 'x' } });
    expect(labels.by).toBe('labels');
    expect([...(labels.value as ReadonlyMap<string, string>)]).toEqual([
      ['app', 'shop'],
      ['constructor', 'x'],
    ]);
  });

  it('refuses none, two, unknown or prototype keys, empty values and empty labels with INVALID_INPUT', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /exactly one of id, name, labels or image \(got none\)/],
      [{ id: 'a', name: 'b' }, /exactly one .*got id, name/],
      [JSON.parse('{"__proto__": {"id": "x"}}'), /unknown key `__proto__`/],
      [{ host: 'x' }, /unknown key `host`/],
      [{ name: ' ' }, /`name` must be a non-empty string/],
      [{ image: 'a\nb' }, /without control characters/],
      [{ labels: {} }, /`labels` is empty: it would match every target/],
      [{ labels: ['a=b'] }, /`labels` must map/],
      [{ labels: { 'a=b': 'c' } }, /label key `a=b` is not a label key/],
      [{ labels: { app: 1 } }, /label `app` must have a string value/],
      [null, /expected one of/],
    ];
    for (const [selector, message] of cases) {
      const error = refusal(() => parseSelector(selector as TargetSelector));
      expect(error.code).toBe(ErrorCode.InvalidInput);
      expect(error.message).toMatch(message);
    }
  });
});

describe('inventoryLimit and deepFreeze', () => {
  it('defaults to 50 and takes 1 to 500', () => {
    expect(inventoryLimit(undefined)).toBe(50);
    expect(inventoryLimit(500)).toBe(500);
    for (const bad of [0, 501, 1.5, Number.NaN]) expect(refusal(() => inventoryLimit(bad)).code).toBe(ErrorCode.InvalidInput);
  });

  it('freezes every level', () => {
    const value = deepFreeze({ a: [{ b: 'c' }] });
    expect(Object.isFrozen(value.a[0])).toBe(true);
  });
});

describe('the docker connection', () => {
  it('resolves TLS references at use: a missing one is SECRET_UNAVAILABLE naming the reference, not retried', async () => {
    const secrets = createSecretResolver({ env: { CA: 'ca-pem', CERT: 'cert-pem' }, baseDir: '/' });
    const tls = { ca: 'env:CA', cert: 'env:CERT', key: 'env:DOCKER_KEY' };
    const error = await openDocker({ host: 'tcp://127.0.0.1:2376', tls, timeoutMs: 1000 }, secrets).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.SecretUnavailable);
    expect((error as FirebreakError).message).toContain('env:DOCKER_KEY');
    expect((error as FirebreakError).message).not.toContain('cert-pem');
  });

  it('refuses tcp:// without TLS; UNSUPPORTED is a code that is not retried', async () => {
    const secrets = createSecretResolver({ env: {}, baseDir: '/' });
    const error = await openDocker({ host: 'tcp://127.0.0.1:2375', timeoutMs: 1000 }, secrets).catch((caught: unknown) => caught);
    expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
    expect(NON_RETRYABLE_CODES).toContain(ErrorCode.Unsupported);
  });
});
