/**
 * The first entry of a tar stream (what the Engine API's archive endpoint gives for one path), its file
 * content hashed as it streams past: at most one chunk and one 512-byte header are held at a time. Pax and
 * GNU long-name headers are skipped; an entry that is not a regular file is reported by its type.
 */
import { createHash } from 'node:crypto';

/** What the first entry was: a regular file with its size and SHA-256, or another kind of entry. */
export type TarFirstEntry =
  | { type: 'file'; size: number; sha256: string }
  | { type: 'directory' | 'symlink' | 'hardlink' | 'other' }
  | { type: 'empty' };

const BLOCK = 512;
/** Header types that describe the next entry rather than being one. */
const META_TYPES = new Set(['x', 'g', 'L', 'K']);

function sizeOf(header: Buffer): number {
  const field = header.subarray(124, 136);
  if ((field[0]! & 0x80) !== 0) {
    // GNU base-256 for sizes past 8 GiB.
    let size = 0;
    for (let i = 1; i < field.length; i++) size = size * 256 + field[i]!;
    return size;
  }
  const text = field.toString('ascii').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function kindOf(flag: string): TarFirstEntry['type'] {
  if (flag === '0' || flag === '\0' || flag === '7') return 'file';
  if (flag === '5') return 'directory';
  if (flag === '2') return 'symlink';
  if (flag === '1') return 'hardlink';
  return 'other';
}

/**
 * Reads the first entry of `source`; `maxBytes` bounds the file hashed (a RangeError past it, before any
 * of it is read).
 */
export async function firstTarEntry(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<TarFirstEntry> {
  let pending = Buffer.alloc(0);
  let skip = 0;
  let file: { size: number; left: number; hash: ReturnType<typeof createHash> } | undefined;
  for await (const chunk of source) {
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (data.length > 0) {
      if (file !== undefined) {
        const part = data.subarray(0, Math.min(file.left, data.length));
        file.hash.update(part);
        file.left -= part.length;
        if (file.left === 0) return { type: 'file', size: file.size, sha256: file.hash.digest('hex') };
        data = data.subarray(part.length);
        continue;
      }
      if (skip > 0) {
        const n = Math.min(skip, data.length);
        skip -= n;
        data = data.subarray(n);
        continue;
      }
      const need = BLOCK - pending.length;
      pending = Buffer.concat([pending, data.subarray(0, need)]);
      data = data.subarray(Math.min(need, data.length));
      if (pending.length < BLOCK) continue;
      const header = pending;
      pending = Buffer.alloc(0);
      if (header.every((byte) => byte === 0)) return { type: 'empty' };
      const flag = String.fromCharCode(header[156]!);
      const size = sizeOf(header);
      if (META_TYPES.has(flag)) {
        skip = Math.ceil(size / BLOCK) * BLOCK;
        continue;
      }
      const type = kindOf(flag);
      if (type !== 'file') return { type };
      if (size > maxBytes) throw new RangeError(`the file is ${size} bytes, over the ${maxBytes}-byte limit`);
      const hash = createHash('sha256');
      if (size === 0) return { type: 'file', size, sha256: hash.digest('hex') };
      file = { size, left: size, hash };
    }
  }
  if (file !== undefined) throw new Error(`the archive ended inside the file (${file.left} of ${file.size} bytes missing)`);
  return { type: 'empty' };
}
