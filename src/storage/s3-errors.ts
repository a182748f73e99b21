/**
 * How the S3 store reports failures: every SDK error becomes a FirebreakError whose code says what a caller
 * can do about it (retry, fix the configuration) and whose message names the key and what went wrong in one
 * line, never a credential, a signed URL or the SDK's stack.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { notFound } from './blob-store.js';

const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden']);
const MISSING = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);

/** Maps an SDK error to a FirebreakError; the message names the key and the S3 error, never a credential. */
export function s3Error(error: unknown, key: string): FirebreakError {
  if (error instanceof FirebreakError) return error;
  const shown = JSON.stringify(key);
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    const what = `${error.name}${status ? ` (HTTP ${status})` : ''}`;
    if (error.name === 'NoSuchBucket')
      return new FirebreakError(ErrorCode.NotFound, `S3 bucket does not exist: ${what}`);
    if (MISSING.has(error.name) || status === 404) return notFound(key);
    if (DENIED.has(error.name) || status === 401 || status === 403) {
      return new FirebreakError(ErrorCode.NotAllowed, `S3 refused access to ${shown}: ${what}`);
    }
    if (status >= 500 || status === 408 || status === 429 || status === 0) {
      return new FirebreakError(ErrorCode.Transient, `S3 call for ${shown} failed: ${what}`);
    }
    return new FirebreakError(ErrorCode.InvalidInput, `S3 rejected the call for ${shown}: ${what}`);
  }
  // No S3 answer at all: connection refused or reset, DNS, timeouts. The remote side may come back.
  return new FirebreakError(
    ErrorCode.Transient,
    `S3 unreachable for ${shown}${attemptsOf(error)}: ${networkReason(error)}`,
  );
}

/** The TRANSIENT error for a response body that broke off at byte `offset` (server gone, connection reset). */
export function s3ReadError(error: unknown, key: string, offset: number): FirebreakError {
  if (error instanceof FirebreakError) return error;
  return new FirebreakError(
    ErrorCode.Transient,
    `S3 read of ${JSON.stringify(key)} broke off at byte ${offset}: ${networkReason(error)}`,
  );
}

/** Runs one SDK call, mapping its failure with `s3Error`. */
export async function call<T>(key: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw s3Error(error, key);
  }
}

/** ` after N attempts` when the SDK retried, from the metadata it attaches to the final error. */
function attemptsOf(error: unknown): string {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata?.attempts;
  return typeof attempts === 'number' && attempts > 1 ? ` after ${attempts} attempts` : '';
}

/**
 * One line on a network failure: the system error code and message (`ECONNREFUSED: connect ECONNREFUSED
 * 127.0.0.1:8333`), or for the SDK's socket timeout just that it timed out (its text names SDK internals).
 */
function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') {
    const idle = /after (\d+) ms/.exec(error.message)?.[1];
    return idle === undefined ? 'timed out waiting for the server' : `no answer from the server for ${idle} ms`;
  }
  const code = (error as NodeJS.ErrnoException).code;
  // Node's word for a response cut short by the peer (the server died or reset the connection).
  if (error.message === 'aborted') return `the connection closed before the response ended (${code ?? 'aborted'})`;
  const message = error.message.split('\n')[0] ?? '';
  if (typeof code === 'string' && !message.includes(code)) return `${code}: ${message}`;
  return message === '' ? error.name : message;
}
