/**
 * A real blob store whose next read of one key breaks off after a given number of bytes, the way a dropped
 * connection does, recording the range every read of that key asked for. For testing resumption against
 * the store's own behaviour, not a mock of it.
 */
import { Transform, type Readable } from 'node:stream';
import type { BlobStore, GetOptions } from '../../src/storage/blob-store.js';

export class BreakingStore {
  /** The next `get` of `key` (or of any key, when no key is set) breaks after this many bytes; then cleared. */
  failAfter: number | undefined;
  /** Where each read of the watched key started. */
  readonly starts: number[] = [];
  readonly store: BlobStore;

  constructor(inner: BlobStore, options: { key?: string; message?: string } = {}) {
    const message = options.message ?? 'connection reset by peer';
    this.store = {
      ...inner,
      get: async (key: string, opts?: GetOptions) => {
        const body = await inner.get(key, opts);
        if (options.key !== undefined && key !== options.key) return body;
        this.starts.push(opts?.start ?? 0);
        const limit = this.failAfter;
        this.failAfter = undefined;
        return limit === undefined ? body : breakAfter(body, limit, message);
      },
    };
  }
}

/** `body`, cut off with an error (`message`) after `limit` bytes. */
function breakAfter(body: Readable, limit: number, message: string): Readable {
  let passed = 0;
  const cut = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (passed + chunk.length <= limit) {
        passed += chunk.length;
        return callback(null, chunk);
      }
      this.push(chunk.subarray(0, limit - passed));
      passed = limit;
      callback(new Error(message));
    },
  });
  cut.on('error', () => body.destroy());
  return body.pipe(cut);
}
