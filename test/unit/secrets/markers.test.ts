import { describe, expect, it } from 'vitest';
import { secretMarker } from '../../../src/domain/expressions.js';
import { redact, redactJson, resolveSecretMarkers } from '../../../src/secrets/markers.js';
import { createSecretResolver, type SecretResolver } from '../../../src/secrets/resolver.js';
import { createSecretScope } from '../../../src/secrets/scope.js';

const resolver = createSecretResolver({ env: { A: 'alpha-secret', B: 'b/e t+a' }, baseDir: '/nonexistent' });

describe('secret markers', () => {
  it('replaces every marker and reports the values', async () => {
    const text = `Bearer ${secretMarker('env:A')} and ${secretMarker('env:B')}!`;
    expect(await resolveSecretMarkers(text, resolver)).toEqual({
      text: 'Bearer alpha-secret and b/e t+a!',
      secrets: ['alpha-secret', 'b/e t+a'],
    });
    expect(await resolveSecretMarkers('no markers', resolver)).toEqual({ text: 'no markers', secrets: [] });
  });

  it('refuses an unclosed marker', async () => {
    await expect(resolveSecretMarkers('x \u27e6secret:env:A', resolver)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'unclosed secret marker at offset 2',
    });
  });

  it('propagates an unavailable secret', async () => {
    await expect(resolveSecretMarkers(secretMarker('env:NOPE'), resolver)).rejects.toMatchObject({
      code: 'SECRET_UNAVAILABLE',
    });
  });

  it('redacts values as written and percent-encoded', () => {
    const secrets = ['alpha-secret', 'b/e t+a'];
    expect(redact('x alpha-secret y b/e t+a z b%2Fe%20t%2Ba w b/e%20t+a', secrets)).toBe(
      'x [redacted] y [redacted] z [redacted] w [redacted]',
    );
    expect(redactJson({ 'alpha-secret': ['alpha-secret', 1, null] }, secrets)).toEqual({
      '[redacted]': ['[redacted]', 1, null],
    });
    expect(redact('unchanged', [])).toBe('unchanged');
    expect(redact(JSON.stringify({ token: 'q"uo\\te' }), ['q"uo\\te'])).toBe('{"token":"[redacted]"}');
  });

  it('scopes resolve each reference once and redact what they handed out', async () => {
    let reads = 0;
    const counting: SecretResolver = {
      resolve: (ref) => {
        reads += 1;
        return resolver.resolve(ref);
      },
    };
    const scope = createSecretScope(counting);
    expect(await scope.resolve(`${secretMarker('env:A')}:${secretMarker('env:A')}`)).toBe('alpha-secret:alpha-secret');
    expect(reads).toBe(1);
    expect(scope.redact('got alpha-secret, not b/e t+a')).toBe('got [redacted], not b/e t+a');
  });
});
