import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretResolver } from '../../../src/secrets/resolver.js';

const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-secrets-'));
writeFileSync(path.join(dir, 'api-token'), 'file-s3cret\n');
writeFileSync(path.join(dir, 'crlf'), 'with-crlf\r\n\r\n');
writeFileSync(path.join(dir, 'empty'), '\n');
writeFileSync(path.join(dir, 'big'), 'x'.repeat(100));

const resolver = createSecretResolver({ env: { API_TOKEN: 'env-s3cret', EMPTY: '' }, baseDir: dir, maxFileBytes: 64 });

async function failure(reference: string): Promise<{ code: unknown; message: string }> {
  try {
    await resolver.resolve(reference);
  } catch (error) {
    return { code: (error as { code?: unknown }).code, message: (error as Error).message };
  }
  throw new Error(`expected ${reference} to fail`);
}

describe('secret resolver', () => {
  it('reads env: from the injected environment, not process.env', async () => {
    expect(await resolver.resolve('env:API_TOKEN')).toBe('env-s3cret');
    process.env.FIREBREAK_ONLY_IN_PROCESS = 'x';
    expect(await failure('env:FIREBREAK_ONLY_IN_PROCESS')).toEqual({
      code: 'SECRET_UNAVAILABLE',
      message:
        'secret env:FIREBREAK_ONLY_IN_PROCESS is unavailable: environment variable FIREBREAK_ONLY_IN_PROCESS is not set',
    });
    delete process.env.FIREBREAK_ONLY_IN_PROCESS;
  });

  it('treats an empty variable as missing', async () => {
    expect((await failure('env:EMPTY')).message).toBe(
      'secret env:EMPTY is unavailable: environment variable EMPTY is not set',
    );
  });

  it('reads file: relative to the base dir, without the trailing newline', async () => {
    expect(await resolver.resolve('file:api-token')).toBe('file-s3cret');
    expect(await resolver.resolve(`file:${path.join(dir, 'crlf')}`)).toBe('with-crlf');
  });

  it('names the reference but never a value when it fails', async () => {
    expect(await failure('file:missing')).toEqual({
      code: 'SECRET_UNAVAILABLE',
      message: `secret file:missing is unavailable: cannot read ${path.join(dir, 'missing')} (ENOENT)`,
    });
    expect((await failure('file:empty')).message).toBe(
      `secret file:empty is unavailable: ${path.join(dir, 'empty')} is empty`,
    );
    expect((await failure('file:big')).message).toBe(
      `secret file:big is unavailable: ${path.join(dir, 'big')} is larger than 64 bytes`,
    );
    expect(await failure('vault:kv/x')).toEqual({
      code: 'SECRET_UNAVAILABLE',
      message: 'secret vault:kv/x is unavailable: unknown scheme (expected env:NAME or file:PATH)',
    });
    expect((await failure('env:not valid')).message).toBe(
      'secret env:not valid is unavailable: not a valid environment variable name',
    );
  });
});
