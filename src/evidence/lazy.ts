/**
 * The evidence store opened on first use and kept, like the post-mortem store: one per process, shared by
 * the API and the worker when both run in one process (the embedded ledger admits one opener per data
 * directory), and never opened, migrated or locked by a process that touches no evidence.
 */
import type { OpenEvidenceStore } from './open.js';

/** An evidence store opened on first use; `close` closes it if it was opened. */
export interface LazyEvidenceStore {
  /** The store, opening it on the first call; concurrent first callers share one open. */
  get(): Promise<OpenEvidenceStore>;
  /** Closes the store if it was opened (a failed or pending open is waited for, then nothing to close). */
  close(): Promise<void>;
}

/** A lazily opened evidence store over `open`; a failed open is not kept, so the next use tries again. */
export function lazyEvidenceStore(open: () => Promise<OpenEvidenceStore>): LazyEvidenceStore {
  let opening: Promise<OpenEvidenceStore> | undefined;
  return {
    get() {
      opening ??= open().catch((error: unknown) => {
        opening = undefined;
        throw error;
      });
      return opening;
    },
    async close() {
      const current = opening;
      opening = undefined;
      if (current) await (await current.catch(() => undefined))?.close();
    },
  };
}
