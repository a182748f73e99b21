/** The stream helpers of Docker capture: log frames split anywhere, a broken stream's code, a sink that stops early. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { counted, demultiplex, STREAMING_REPORT_BYTES, streamFailure } from '../../../src/infra/docker/streams.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

// eslint-disable-next-line @typescript-eslint/require-await -- a test source
async function* from(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('demultiplex', () => {
  it('gives each frame with its stream, whatever the chunk boundaries (inside a header or a payload)', async () => {
    const whole = Buffer.concat([frame(1, '2026-01-01T00:00:00Z out\n'), frame(2, '2026-01-01T00:00:01Z err\n'), frame(1, '')]);
    for (const size of [1, 3, 8, 9, 17, whole.length]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < whole.length; at += size) chunks.push(whole.subarray(at, at + size));
      const frames = await collect(demultiplex(from(chunks)));
      expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
        ['stdout', '2026-01-01T00:00:00Z out\n'],
        ['stderr', '2026-01-01T00:00:01Z err\n'],
        ['stdout', ''],
      ]);
    }
  });

  it('fails when the stream ends inside a frame, rather than dropping it silently', async () => {
    const cut = frame(1, 'a line cut short\n').subarray(0, 12);
    await expect(collect(demultiplex(from([cut])))).rejects.toThrow(/ended inside a frame/);
  });
});

describe('counted', () => {
  it('says complete only once the source ended, counts bytes and reports every few MiB', async () => {
    const chunk = new Uint8Array(STREAMING_REPORT_BYTES / 2);
    const heard: number[] = [];
    const body = counted('capture x', () => from([chunk, chunk, chunk, chunk, chunk]), (bytes) => heard.push(bytes));
    const iterator = body.body[Symbol.asyncIterator]();
    await iterator.next();
    expect(body.complete()).toBe(false);
    // A reader that stops early: never complete.
    await iterator.return?.(undefined);
    expect(body.complete()).toBe(false);

    const full = counted('capture x', () => from([chunk, chunk, chunk, chunk, chunk]), (bytes) => heard.push(bytes));
    await collect(full.body);
    expect(full.complete()).toBe(true);
    expect(full.bytes()).toBe(chunk.length * 5);
    expect(heard).toEqual([STREAMING_REPORT_BYTES, STREAMING_REPORT_BYTES * 2]);
  });

  it('maps a source that breaks off to TRANSIENT and keeps it as the failure', async () => {
    // eslint-disable-next-line @typescript-eslint/require-await -- a test source
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(4);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    const body = counted('capture filesystem', broken);
    const error: unknown = await collect(body.body).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.Transient);
    expect((error as FirebreakError).message).toMatch(/capture filesystem: the stream from the Docker daemon broke off \(aborted\)/);
    expect(body.failure()).toBe(error);
    expect(body.complete()).toBe(false);
    // An Engine API answer keeps its mapping.
    expect(streamFailure({ statusCode: 404, json: { message: 'no such container' } }, 'x').code).toBe(ErrorCode.NotFound);
  });
});
