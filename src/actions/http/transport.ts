/**
 * One HTTP exchange over node:http(s), pinned to vetted addresses: the socket connects to an address the
 * destination check approved (a custom `lookup`), redirects are never followed, the body read stops at a
 * byte limit, and the exchange ends at a deadline or when the signal aborts.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { abortReason } from '../../domain/abort.js';
import type { ResolvedAddress, VettedDestination } from './destination.js';

/** A request ready to send: destination vetted, secrets already resolved. */
export interface OutgoingRequest {
  destination: VettedDestination;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  maxResponseBytes: number;
  signal: AbortSignal;
  /** How the request is named in messages (method and redacted URL, no query). */
  label: string;
}

/** A response whose body was read up to the byte limit. */
export interface ReceivedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  truncated: boolean;
}

/** A `lookup` for node:net that answers only with the vetted addresses, whatever the name. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    // Node asks for all addresses when it races IPv4 and IPv6 (autoSelectFamily), otherwise for one.
    if (options.all)
      callback(
        null,
        addresses.map((entry) => ({ ...entry })),
      );
    else callback(null, addresses[0]?.address ?? '', addresses[0]?.family ?? 4);
  };
}

/** Opens the request on a fresh connection (no pooling: a pooled socket could lead elsewhere). */
function open(request: OutgoingRequest, settle: Settle<ReceivedResponse>): http.ClientRequest {
  const { url, hostname, addresses } = request.destination;
  const client = url.protocol === 'https:' ? https : http;
  const onResponse = (res: IncomingMessage) => {
    readBody(res, request.maxResponseBytes).then(settle.ok, (error: Error) =>
      settle.fail(networkError(error, request.label)),
    );
  };
  try {
    return client.request(
      {
        protocol: url.protocol,
        hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: url.pathname + url.search,
        method: request.method,
        headers: request.headers,
        lookup: pinnedLookup(addresses),
        // TLS still verifies the certificate against the host name: `servername` defaults to `hostname`.
        agent: false,
      },
      onResponse,
    );
  } catch (error) {
    // node:http refuses bad header characters up front; its message names the header, not the value.
    const code = (error as NodeJS.ErrnoException).code ?? 'invalid request';
    throw new FirebreakError(ErrorCode.InvalidInput, `${request.label} cannot be sent: ${code}`);
  }
}

/** Sends the request and reads the response, or rejects with a FirebreakError or the abort reason. */
export function send(request: OutgoingRequest): Promise<ReceivedResponse> {
  return new Promise((resolve, reject) => {
    const settle = once(resolve, reject);
    const req = open(request, settle);
    // Settle with our own reason first, then tear the socket down; late socket errors are ignored.
    const stop = (reason: Error) => {
      settle.fail(reason);
      req.destroy();
    };
    const timer = setTimeout(() => {
      const seconds = Math.round(request.timeoutMs / 100) / 10;
      stop(new FirebreakError(ErrorCode.Timeout, `${request.label} did not answer within ${seconds}s`));
    }, request.timeoutMs);
    const onAbort = () => stop(abortReason(request.signal));
    request.signal.addEventListener('abort', onAbort, { once: true });
    settle.onSettled(() => {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onAbort);
    });
    req.on('error', (error) => settle.fail(networkError(error, request.label)));
    if (request.signal.aborted) onAbort();
    else req.end(request.body);
  });
}

function networkError(error: Error, label: string): Error {
  if (error instanceof FirebreakError || !('code' in error)) return error;
  const code = typeof error.code === 'string' ? error.code : 'network error';
  // Connection failures (refused, reset, TLS) are the textbook transient failure.
  return new FirebreakError(ErrorCode.Transient, `${label} failed: ${code}`);
}

/** Reads at most `limit` bytes of the body, then stops reading and drops the connection. */
function readBody(res: IncomingMessage, limit: number): Promise<ReceivedResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const finish = () => {
      res.removeAllListeners('data');
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated });
    };
    res.on('data', (chunk: Buffer) => {
      const room = limit - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size = limit;
        truncated = true;
        finish();
        // Destroying stops the transfer instead of draining an unbounded body we will not keep.
        res.destroy();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    res.on('end', finish);
    res.on('error', (error) => (truncated ? undefined : reject(error)));
  });
}

interface Settle<T> {
  ok: (value: T) => void;
  fail: (error: unknown) => void;
  onSettled: (cleanup: () => void) => void;
}

/** Resolves or rejects a promise once, running the cleanups on the first outcome. */
function once<T>(resolve: (value: T) => void, reject: (error: unknown) => void): Settle<T> {
  let done = false;
  const cleanups: Array<() => void> = [];
  const finish = (): boolean => {
    if (done) return false;
    done = true;
    for (const cleanup of cleanups) cleanup();
    return true;
  };
  return {
    ok: (value) => {
      if (finish()) resolve(value);
    },
    fail: (error) => {
      if (finish()) reject(error);
    },
    onSettled: (cleanup) => {
      cleanups.push(cleanup);
    },
  };
}
