/**
 * Engine API streams for capture: a response body read chunk by chunk (never held whole), the failure of a
 * stream cut mid-way mapped to TRANSIENT, and the demultiplexing of a container's log stream.
 */
import type { Readable } from 'node:stream';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { engineFailure } from './client.js';

/** A body handed to the sink, which says afterwards whether it was read to its end and how many bytes it gave. */
export interface CountedBody {
  body: AsyncIterable<Uint8Array>;
  /** True once the source ended normally and every chunk was handed over. */
  complete(): boolean;
  bytes(): number;
  /** The failure of the source, mapped to a code, when it failed. */
  failure(): FirebreakError | undefined;
}

/** How often (in bytes streamed) `counted` reports progress. */
export const STREAMING_REPORT_BYTES = 8 * 1024 * 1024;

/**
 * Wraps a source so a failure is recorded (and mapped) and a sink that stops early is detected; `onBytes`
 * hears the running total every STREAMING_REPORT_BYTES.
 */
export function counted(what: string, source: () => AsyncIterable<Uint8Array>, onBytes?: (bytes: number) => void): CountedBody {
  let done = false;
  let total = 0;
  let reported = 0;
  let failed: FirebreakError | undefined;
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of source()) {
        total += chunk.byteLength;
        if (onBytes !== undefined && total - reported >= STREAMING_REPORT_BYTES) {
          reported = total;
          onBytes(total);
        }
        yield chunk;
      }
    } catch (error) {
      failed = streamFailure(error, what);
      throw failed;
    }
    done = true;
  }
  return { body: body(), complete: () => done, bytes: () => total, failure: () => failed };
}

/**
 * A stream that stopped before its end is the daemon going away (or its connection cut): TRANSIENT, retried.
 * Engine API answers (a status code) keep their mapping.
 */
export function streamFailure(error: unknown, what: string): FirebreakError {
  if (error instanceof FirebreakError) return error;
  if (typeof error === 'object' && error !== null && 'statusCode' in error) return engineFailure(error, what);
  const reason = error instanceof Error ? error.message : String(error);
  return new FirebreakError(ErrorCode.Transient, `${what}: the stream from the Docker daemon broke off (${reason})`);
}

/** The chunks of a Node stream, destroying it if the reader stops early. */
export async function* chunks(stream: Readable): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } finally {
    stream.destroy();
  }
}

/** One line of a container's log: which stream, and the text with the daemon's timestamp first. */
export interface LogFrame {
  stream: 'stdout' | 'stderr';
  payload: Buffer;
}

/**
 * The frames of a log stream of a container without a TTY (the Engine API's multiplexed format: an 8-byte
 * header, byte 0 the stream, bytes 4-7 the length). At most one frame and one chunk are held at a time.
 */
export async function* demultiplex(source: AsyncIterable<Uint8Array>): AsyncGenerator<LogFrame> {
  let pending = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      yield { stream: pending[0] === 2 ? 'stderr' : 'stdout', payload: pending.subarray(8, 8 + size) };
      pending = pending.subarray(8 + size);
    }
  }
  if (pending.length > 0) throw new Error(`the log stream ended inside a frame (${pending.length} bytes left)`);
}
