/**
 * The generic webhook's signature scheme: `X-Firebreak-Signature: sha256=<hex>` is the HMAC-SHA256 of
 * `<X-Firebreak-Timestamp>.<raw body bytes>` under a shared secret. Verification runs over the raw bytes
 * before any parsing, compares in constant time, accepts any of the configured secrets (two during a
 * rotation), refuses timestamps more than five minutes away from the injected clock, and says only which
 * class of check failed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers a signed delivery carries (lower case, as Node exposes them). */
export const SIGNATURE_HEADERS = {
  timestamp: 'x-firebreak-timestamp',
  signature: 'x-firebreak-signature',
  delivery: 'x-firebreak-delivery',
} as const;

/** How far a delivery's timestamp may be from now, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Why a delivery was refused; deliberately coarse, so a caller learns nothing it could use. */
export type SignatureFailure = 'missing header' | 'timestamp' | 'signature';

/** A verified delivery, or the class of check it failed. */
export type SignatureResult =
  { ok: true; deliveryId: string; timestamp: number } | { ok: false; reason: SignatureFailure };

/** The parts of a request that verification reads: three headers and the raw body. */
export interface SignedDelivery {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

/** Verification settings: the secrets (raw values, never logged) and the clock, in milliseconds. */
export interface VerifyOptions {
  secrets: readonly string[];
  now?: () => number;
  toleranceSeconds?: number;
}

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP = /^[0-9]{1,12}$/;
/** Delivery ids become Temporal Update ids and audit keys: printable ASCII, bounded. */
const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/;

/** Verifies a signed delivery; the signature is checked before the timestamp is even parsed. */
export function verifySignature(delivery: SignedDelivery, options: VerifyOptions): SignatureResult {
  const timestamp = header(delivery.headers, SIGNATURE_HEADERS.timestamp);
  const signature = header(delivery.headers, SIGNATURE_HEADERS.signature);
  const deliveryId = header(delivery.headers, SIGNATURE_HEADERS.delivery);
  if (timestamp === undefined || signature === undefined || deliveryId === undefined) {
    return { ok: false, reason: 'missing header' };
  }
  if (!DELIVERY_ID.test(deliveryId)) return { ok: false, reason: 'missing header' };
  const given = SIGNATURE.exec(signature)?.[1];
  if (given === undefined || !matchesAny(Buffer.from(given, 'hex'), timestamp, delivery.body, options.secrets)) {
    return { ok: false, reason: 'signature' };
  }
  const nowSeconds = (options.now ?? Date.now)() / 1000;
  const tolerance = options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  if (!TIMESTAMP.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > tolerance) {
    return { ok: false, reason: 'timestamp' };
  }
  return { ok: true, deliveryId, timestamp: Number(timestamp) };
}

/** The signature header value for a body: what senders compute (and tests and the benchmark). */
export function signDelivery(secret: string, timestamp: number | string, body: Buffer | string): string {
  return `sha256=${hmac(secret, String(timestamp), typeof body === 'string' ? Buffer.from(body) : body).toString('hex')}`;
}

/** Compares against every secret without stopping early, each comparison in constant time. */
function matchesAny(given: Buffer, timestamp: string, body: Buffer, secrets: readonly string[]): boolean {
  let matched = false;
  for (const secret of secrets) {
    const expected = hmac(secret, timestamp, body);
    // Both are 32 bytes here (the pattern fixed the length), which timingSafeEqual requires.
    if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
  }
  return matched;
}

function hmac(secret: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(timestamp).update('.').update(body).digest();
}

function header(headers: SignedDelivery['headers'], name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? undefined : value;
  return text === undefined || text === '' ? undefined : text;
}
