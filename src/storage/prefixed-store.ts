/**
 * A BlobStore seen through a key prefix: every key is stored as `<prefix>/<key>`, so several installations
 * (or environments) can share one bucket. Listings give the keys back without the prefix.
 */
import { validateKey, validatePrefix, type BlobStore } from './blob-store.js';

/** Wraps `store` so that all keys live under `<prefix>/`; an empty prefix returns the store itself. */
export function withKeyPrefix(store: BlobStore, prefix: string): BlobStore {
  const base = prefix.replace(/\/+$/, '');
  if (base === '') return store;
  const outer = `${base}/`;
  // Checked before prefixing, so a refusal names the caller's key and `..` cannot climb out of the prefix.
  const inner = (key: string) => `${outer}${validateKey(key)}`;
  return {
    put: async (key, body, opts) => ({ ...(await store.put(inner(key), body, opts)), key }),
    // Async, so a refused key is a rejected promise like in every adapter, never a synchronous throw.
    get: async (key, opts) => store.get(inner(key), opts),
    head: async (key) => store.head(inner(key)),
    delete: async (key) => store.delete(inner(key)),
    async *list(listPrefix) {
      for await (const entry of store.list(`${outer}${validatePrefix(listPrefix)}`)) {
        yield { ...entry, key: entry.key.slice(outer.length) };
      }
    },
  };
}
