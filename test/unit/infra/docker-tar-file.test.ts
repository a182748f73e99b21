/**
 * The tar reader behind hash indicators: the first entry's content hashed whatever the chunk boundaries,
 * pax and GNU long-name headers skipped, other entry kinds named, the size cap enforced before any of the
 * content is read, and an archive that ends inside the file refused. Archives are made by GNU tar.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstTarEntry } from '../../../src/infra/docker/tar-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fb-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tar(format: 'gnu' | 'pax' | 'ustar', entry: string): Buffer {
  return execFileSync('tar', ['-C', dir, `--format=${format}`, '-c', entry], { maxBuffer: 64 * 1024 * 1024 });
}

// eslint-disable-next-line @typescript-eslint/require-await -- a test source
async function* chunked(whole: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < whole.length; at += size) yield whole.subarray(at, at + size);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('firstTarEntry', () => {
  const content = Buffer.alloc(70_000, 'backdoor\n');
  writeFileSync(path.join(dir, 'implant'), content);
  const longName = `${'deep-folder-name/'.repeat(8)}implant-with-a-long-name`;
  mkdirSync(path.join(dir, path.dirname(longName)), { recursive: true });
  writeFileSync(path.join(dir, longName), 'long\n');
  writeFileSync(path.join(dir, 'empty'), '');
  mkdirSync(path.join(dir, 'folder'));
  symlinkSync('implant', path.join(dir, 'link'));

  it('hashes the first file whatever the chunk boundaries (inside a header or the content)', async () => {
    const whole = tar('ustar', 'implant');
    for (const size of [1, 100, 511, 512, 513, 4096, whole.length]) {
      expect(await firstTarEntry(chunked(whole, size), 1 << 20)).toEqual({ type: 'file', size: content.length, sha256: sha256(content) });
    }
  });

  it('skips GNU long-name and pax headers to the entry they describe', async () => {
    for (const format of ['gnu', 'pax'] as const) {
      const whole = tar(format, longName);
      expect(await firstTarEntry(chunked(whole, 700), 1 << 20)).toEqual({ type: 'file', size: 5, sha256: sha256('long\n') });
    }
  });

  it('hashes an empty file, and names a directory or a link instead of hashing it', async () => {
    expect(await firstTarEntry(chunked(tar('ustar', 'empty'), 512), 10)).toEqual({ type: 'file', size: 0, sha256: sha256('') });
    expect(await firstTarEntry(chunked(tar('ustar', 'folder'), 512), 10)).toEqual({ type: 'directory' });
    expect(await firstTarEntry(chunked(tar('ustar', 'link'), 512), 10)).toEqual({ type: 'symlink' });
    expect(await firstTarEntry(chunked(Buffer.alloc(1024), 512), 10)).toEqual({ type: 'empty' });
  });

  it('refuses a file over the cap before reading its content, and an archive that ends inside the file', async () => {
    let read = 0;
    const whole = tar('ustar', 'implant');
    async function* counting(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunked(whole, 512)) {
        read += chunk.length;
        yield chunk;
      }
    }
    await expect(firstTarEntry(counting(), 1000)).rejects.toThrow(RangeError);
    expect(read).toBe(512);
    await expect(firstTarEntry(chunked(whole.subarray(0, 4096), 512), 1 << 20)).rejects.toThrow(/ended inside the file/);
  });
});
