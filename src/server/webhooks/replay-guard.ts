/**
 * Replay refusal for the generic receiver. A signed delivery is identified by its content (the timestamp
 * and the SHA-256 of its body: `deliveryContentKey`), whatever its signature scheme or delivery id, and is
 * remembered until its timestamp leaves the signature window, after which the signature check refuses it
 * anyway. Within the window, a second arrival of the same content is:
 *
 * - under the same delivery id, the sender's retry: it gets the first arrival's answer, and nothing is
 *   recorded again (not even on a new incident, after the first one closed);
 * - under another delivery id, a replay: refused with 409, and nothing is recorded.
 *
 * A delivery that failed (a 4xx or 5xx answer) is forgotten, so its retry is taken as new. With a file, the
 * answered deliveries are appended to it before the answer goes out and read back at start, so a restart
 * within the window forgets nothing that was answered.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../logging/logger.js';
import { ApiError, ApiErrorCode } from '../errors.js';
import type { WebhookAnswer } from './deliveries.js';

/** Settings of the guard: how many deliveries it holds, an optional file, and the clock. */
export interface ReplayGuardOptions {
  /** Where answered deliveries are kept across restarts (JSON lines, mode 0600); memory only without it. */
  file?: string;
  /** Most deliveries remembered; past it the oldest are forgotten first. */
  maxEntries?: number;
  now: () => number;
  logger: Logger;
}

interface Entry {
  deliveryId: string;
  /** Epoch milliseconds after which the signature window refuses the content anyway. */
  expiresAt: number;
  answer: Promise<WebhookAnswer>;
  /** The answer once given: what the file keeps. */
  settled?: WebhookAnswer;
}

interface Line {
  key: string;
  deliveryId: string;
  expiresAt: number;
  answer: WebhookAnswer;
}

const DEFAULT_MAX_ENTRIES = 100_000;

/** Remembers recent generic deliveries by content; see the module comment. */
export class ReplayGuard {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private appended = 0;

  constructor(private readonly options: ReplayGuardOptions) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (options.file !== undefined) this.load(options.file);
  }

  /**
   * Takes a delivery once: `take` runs for content not seen within its window; the same content under the
   * same id waits for (and gets) the first answer; under another id it is refused with 409.
   */
  async once(
    key: string,
    deliveryId: string,
    expiresAt: number,
    take: () => Promise<WebhookAnswer>,
  ): Promise<WebhookAnswer> {
    this.sweep();
    const seen = this.entries.get(key);
    if (seen !== undefined && seen.expiresAt > this.options.now()) {
      if (seen.deliveryId === deliveryId) return seen.answer;
      throw new ApiError(
        409,
        ApiErrorCode.Conflict,
        'delivery refused: replay (this timestamp and body were already received under another delivery id)',
      );
    }
    const entry: Entry = { deliveryId, expiresAt, answer: take() };
    this.entries.set(key, entry);
    try {
      entry.settled = await entry.answer;
      this.persist({ key, deliveryId, expiresAt, answer: entry.settled });
      return entry.settled;
    } catch (error) {
      // Not taken: a retry of it must be able to succeed.
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
  }

  /** Forgets expired entries from the oldest end, and the oldest beyond the bound. */
  private sweep(): void {
    const now = this.options.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }

  private persist(line: Line): void {
    const file = this.options.file;
    if (file === undefined) return;
    // Written before the answer is sent: an answered delivery is remembered across a restart.
    appendFileSync(file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    this.appended += 1;
    if (this.appended > 2 * this.entries.size + 1_000) this.compact(file);
  }

  /** Reads the deliveries still in their window, then rewrites the file with only those. */
  private load(file: string): void {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (existsSync(file)) {
      const now = this.options.now();
      let unreadable = 0;
      for (const text of readFileSync(file, 'utf8').split('\n')) {
        if (text.trim() === '') continue;
        const line = parseLine(text);
        if (line === undefined) unreadable += 1;
        else if (line.expiresAt > now) {
          const { deliveryId, expiresAt, answer } = line;
          this.entries.set(line.key, { deliveryId, expiresAt, answer: Promise.resolve(answer), settled: answer });
        }
      }
      if (unreadable > 0) this.options.logger.warn({ file, unreadable }, 'webhook delivery file: lines skipped');
    }
    this.compact(file);
  }

  private compact(file: string): void {
    const lines: string[] = [];
    const now = this.options.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) continue;
      // Only answered entries are in the file; one still in flight is appended when it is answered.
      if (entry.settled === undefined) continue;
      const line: Line = { key, deliveryId: entry.deliveryId, expiresAt: entry.expiresAt, answer: entry.settled };
      lines.push(JSON.stringify(line));
    }
    const temporary = `${file}.tmp`;
    writeFileSync(temporary, lines.map((line) => `${line}\n`).join(''), { mode: 0o600 });
    renameSync(temporary, file);
    this.appended = lines.length;
  }
}

/** One line of the file, or undefined when it is not one (a torn last line after a crash). */
function parseLine(text: string): Line | undefined {
  try {
    const value = JSON.parse(text) as Partial<Line> | null;
    if (
      typeof value?.key === 'string' &&
      typeof value.deliveryId === 'string' &&
      typeof value.expiresAt === 'number' &&
      typeof value.answer === 'object' &&
      value.answer !== null
    ) {
      return { key: value.key, deliveryId: value.deliveryId, expiresAt: value.expiresAt, answer: value.answer };
    }
  } catch {
    // fall through: counted as unreadable
  }
  return undefined;
}
