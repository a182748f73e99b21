/** Bounded capture of a child's output: the head of stdout, the tail of stderr. */

/** Keeps at most `limit` bytes of a stream, from its start (`head`) or its end (`tail`). */
export class OutputCapture {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Whether bytes were dropped. */
  truncated = false;

  constructor(
    private readonly limit: number,
    private readonly keep: 'head' | 'tail',
  ) {}

  /** Adds a chunk, dropping what falls outside the limit. */
  push(chunk: Buffer): void {
    if (this.keep === 'head') {
      const room = this.limit - this.size;
      if (chunk.length > room) this.truncated = true;
      if (room <= 0) return;
      const kept = chunk.subarray(0, room);
      this.chunks.push(kept);
      this.size += kept.length;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    // Compact only once twice the limit is held, so a chatty stream costs amortised linear time.
    if (this.size > 2 * this.limit) this.compactTail();
  }

  /** The kept bytes as UTF-8 text. */
  text(): string {
    if (this.keep === 'tail' && this.size > this.limit) this.compactTail();
    let bytes = Buffer.concat(this.chunks);
    if (this.keep === 'tail' && this.truncated) {
      // A cut tail may start inside a multi-byte character: skip its continuation bytes.
      let start = 0;
      while (start < bytes.length && start < 3 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start += 1;
      bytes = bytes.subarray(start);
    }
    return bytes.toString('utf8');
  }

  private compactTail(): void {
    const all = Buffer.concat(this.chunks);
    const kept = all.subarray(all.length - this.limit);
    this.truncated = this.truncated || kept.length < all.length;
    this.chunks = [kept];
    this.size = kept.length;
  }
}
