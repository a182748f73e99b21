/**
 * A test-only evidence sink over a temporary directory, behaving as the real store does: each artefact is
 * streamed to a file with its SHA-256 computed while writing (never held whole), and a write whose body
 * fails leaves nothing behind and counts nothing.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { EvidenceSink } from '../../src/infra/types.js';

/** One artefact the sink stored. */
export interface StoredArtefact {
  artefact: string;
  contentType: string;
  location: string;
  size: number;
  sha256: string;
}

/** The sink, and what it stored (only complete writes). */
export interface FileEvidenceSink extends EvidenceSink {
  readonly root: string;
  readonly stored: StoredArtefact[];
}

/** A sink writing under `root` (which it creates). */
export function fileEvidenceSink(root: string): FileEvidenceSink {
  mkdirSync(root, { recursive: true });
  const stored: StoredArtefact[] = [];
  return {
    root,
    stored,
    async write(artefact, body, meta) {
      if (artefact.split('/').some((part) => part === '' || part === '.' || part === '..')) {
        throw new Error(`test sink: artefact name ${artefact} is not a relative path`);
      }
      const location = path.join(root, artefact);
      mkdirSync(path.dirname(location), { recursive: true });
      const file = createWriteStream(location, { flags: 'wx' });
      const hash = createHash('sha256');
      let size = 0;
      try {
        for await (const chunk of body) {
          hash.update(chunk);
          size += chunk.byteLength;
          if (!file.write(chunk)) await once(file, 'drain');
        }
        file.end();
        await once(file, 'finish');
      } catch (error) {
        file.destroy();
        rmSync(location, { force: true });
        throw error;
      }
      const entry = { artefact, contentType: meta.contentType, location, size, sha256: hash.digest('hex') };
      stored.push(entry);
      return { location, size, sha256: entry.sha256 };
    },
  };
}
