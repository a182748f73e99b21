import { describe, expect, it } from 'vitest';
import { redact, redactJson } from '../../../src/secrets/redaction.js';
import { createSecretScope } from '../../../src/secrets/scope.js';

describe('redaction', () => {
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

  it('redacts the encodings an echoing destination may use: base64 at any alignment, base64url, hex, JSON twice', () => {
    const secret = 'tok_9f8e7d6c5b4a3/+?xyz';
    const texts = [
      Buffer.from(secret).toString('base64'),
      Buffer.from(`user:${secret}`).toString('base64'),
      Buffer.from(`ab${secret}cd`).toString('base64'),
      Buffer.from(`a${secret}`).toString('base64url'),
      Buffer.from(secret).toString('hex'),
      Buffer.from(secret).toString('hex').toUpperCase(),
      JSON.stringify(JSON.stringify({ secret })),
    ];
    for (const text of texts) {
      const out = redact(`echo: ${text}`, [secret]);
      expect(out, text).toContain('[redacted]');
      // What is left around the redaction is at most the two base64 characters that straddle its edges.
      for (const decoded of [Buffer.from(out, 'base64'), Buffer.from(out, 'hex')]) {
        expect(decoded.toString('latin1')).not.toContain(secret.slice(2, -2));
      }
    }
  });

  it('scopes resolve each name once and redact what they handed out', async () => {
    let reads = 0;
    const scope = createSecretScope((name) => {
      reads += 1;
      return Promise.resolve(name === 'a' ? 'alpha-secret' : 'b/e t+a');
    });
    expect([await scope.resolve('a'), await scope.resolve('a')]).toEqual(['alpha-secret', 'alpha-secret']);
    expect(reads).toBe(1);
    expect(scope.redact('got alpha-secret, not b/e t+a')).toBe('got [redacted], not b/e t+a');
  });
});
