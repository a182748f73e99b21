/**
 * The evidence store opened on first use and kept, like the post-mortem store: one per process, shared by
 * the API and the worker when both run in one process (the embedded ledger admits one opener per data
 * directory), and never opened, migrated or locked by a process that touches no evidence.
 */
import { lazyOpen, type LazyOpen } from '../storage/lazy-open.js';
import type { OpenEvidenceStore } from './open.js';

/** An evidence store opened on first use; `close` closes it if it was opened. */
export type LazyEvidenceStore = LazyOpen<OpenEvidenceStore>;

/** A lazily opened evidence store over `open`; a failed open is not kept, so the next use tries again. */
export function lazyEvidenceStore(open: () => Promise<OpenEvidenceStore>): LazyEvidenceStore {
  return lazyOpen(open);
}
