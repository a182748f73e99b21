/**
 * A store opened on first use and kept: the server and the worker hold one each (one between them in
 * `firebreak dev`), and a process that never touches it never opens, migrates or locks it. Concurrent first
 * callers share one open; a failed open is not kept, so the next use tries again; `close` closes it if it
 * was opened (a pending or failed open is waited for first).
 */

/** Something opened on first use; `close` closes it if it was opened. */
export interface LazyOpen<T extends { close(): Promise<void> }> {
  get(): Promise<T>;
  close(): Promise<void>;
}

/** Opens with `open` on the first `get`, and keeps what it opened. */
export function lazyOpen<T extends { close(): Promise<void> }>(open: () => Promise<T>): LazyOpen<T> {
  let opening: Promise<T> | undefined;
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
