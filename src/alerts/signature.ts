/**
 * The generic webhook's signature scheme, versioned. `X-Firebreak-Signature: v2=<hex>` is the HMAC-SHA256
 * under a shared secret of `v2\n<X-Firebreak-Timestamp>\n<X-Firebreak-Delivery>\n<raw body bytes>`, so the
 * delivery id is signed with the body and cannot be swapped. The parts are joined by newlines, which
 * neither a timestamp nor a delivery id can contain, so no two deliveries share a signed string. The
 * first scheme, `sha256=<hex>` over `<timestamp>.<body>`, leaves the delivery id unsigned; it is accepted
 * only when configured (`webhooks.generic.acceptV1Signatures`), for a migration. Verification runs over
 * the raw bytes before any parsing, compares in constant time, accepts any of the configured secrets (two
 * during a rotation), refuses timestamps more than five minutes away from the injected clock, and says
 * only which class of check failed.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The headers a signed delivery carries (lower case, as Node exposes them). */
export const SIGNATURE_HEADERS = {
  timestamp: 'x-firebreak-timestamp',
  signature: 'x-firebreak-signature',
  delivery: 'x-firebreak-delivery',
} as const;

/** How far a delivery's timestamp may be from now, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** The signature schemes: `v2` signs the delivery id; `v1` (header prefix `sha256=`) does not. */
export type SignatureScheme = 'v2' | 'v1';

/**
 * Why a delivery was refused; deliberately coarse, so a caller learns nothing it could use.
 * `signature version`: the header holds only a v1 signature, which is not accepted.
 */
export type SignatureFailure = 'missing header' | 'timestamp' | 'signature' | 'signature version';

/** A verified delivery, or the class of check it failed. */
export type SignatureResult =
  | { ok: true; deliveryId: string; timestamp: number; scheme: SignatureScheme }
  | { ok: false; reason: SignatureFailure };

/** The parts of a request that verification reads: three headers and the raw body. */
export interface SignedDelivery {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

/** Verification settings: the secrets (raw values, never logged), the clock in milliseconds, v1 or not. */
export interface VerifyOptions {
  secrets: readonly string[];
  now?: () => number;
  toleranceSeconds?: number;
  /** Accept the v1 scheme, which leaves the delivery id unsigned (a migration only); off by default. */
  acceptV1?: boolean;
}

/** One `scheme=hex` entry; a header may carry several, comma-separated (v2 and v1 during a migration). */
const ENTRY = /^(v2|sha256)=([0-9a-fA-F]{64})$/;
/** A timestamp header: Unix seconds. */
export const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/;
/** Delivery ids become Temporal Update ids and audit keys: printable ASCII, bounded. */
export const DELIVERY_ID_PATTERN = /^[\x21-\x7e]{1,200}$/;
const MAX_ENTRIES = 4;

/** Verifies a signed delivery; the signature is checked before the timestamp is compared with the clock. */
export function verifySignature(delivery: SignedDelivery, options: VerifyOptions): SignatureResult {
  const timestamp = header(delivery.headers, SIGNATURE_HEADERS.timestamp);
  const signature = header(delivery.headers, SIGNATURE_HEADERS.signature);
  const deliveryId = header(delivery.headers, SIGNATURE_HEADERS.delivery);
  if (timestamp === undefined || signature === undefined || deliveryId === undefined) {
    return { ok: false, reason: 'missing header' };
  }
  if (!DELIVERY_ID_PATTERN.test(deliveryId)) return { ok: false, reason: 'missing header' };
  const entries = signatureEntries(signature);
  const v2 = entries.filter((entry) => entry.scheme === 'v2');
  const v1 = options.acceptV1 === true ? entries.filter((entry) => entry.scheme === 'v1') : [];
  if (v2.length === 0 && v1.length === 0) {
    const onlyV1 = entries.length > 0 && entries.every((entry) => entry.scheme === 'v1');
    return { ok: false, reason: onlyV1 ? 'signature version' : 'signature' };
  }
  const signed = { timestamp, deliveryId, body: delivery.body };
  // v2 first: a sender migrating sends both, and is then verified by the scheme that signs its id.
  const scheme = matches(v2, 'v2', signed, options.secrets)
    ? 'v2'
    : matches(v1, 'v1', signed, options.secrets)
      ? 'v1'
      : undefined;
  if (scheme === undefined) return { ok: false, reason: 'signature' };
  const nowSeconds = (options.now ?? Date.now)() / 1000;
  const tolerance = options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  if (!TIMESTAMP_PATTERN.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > tolerance) {
    return { ok: false, reason: 'timestamp' };
  }
  return { ok: true, deliveryId, timestamp: Number(timestamp), scheme };
}

/** The signature header value of a delivery (v2): what senders compute (and tests and the benchmark). */
export function signDelivery(
  secret: string,
  timestamp: number | string,
  deliveryId: string,
  body: Buffer | string,
): string {
  const signed = { timestamp: String(timestamp), deliveryId, body: bytes(body) };
  return `v2=${hmac(secret, 'v2', signed).toString('hex')}`;
}

/** The deprecated v1 signature header value (`sha256=`), which does not sign the delivery id. */
export function signDeliveryV1(secret: string, timestamp: number | string, body: Buffer | string): string {
  const signed = { timestamp: String(timestamp), deliveryId: '', body: bytes(body) };
  return `sha256=${hmac(secret, 'v1', signed).toString('hex')}`;
}

/**
 * What identifies a delivery's content whatever its signature scheme or delivery id: the SHA-256 of the
 * timestamp and the body's SHA-256. Two requests with the same key are the same delivery sent twice.
 */
export function deliveryContentKey(timestamp: number, body: Buffer): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHash('sha256').update(`${timestamp}\n${bodyHash}`).digest('hex');
}

interface Signed {
  timestamp: string;
  deliveryId: string;
  body: Buffer;
}

interface Entry {
  scheme: SignatureScheme;
  digest: Buffer;
}

function signatureEntries(value: string): Entry[] {
  const parts = value.split(',').slice(0, MAX_ENTRIES);
  return parts.flatMap((part) => {
    const match = ENTRY.exec(part.trim());
    if (!match?.[1] || !match[2]) return [];
    return [{ scheme: match[1] === 'v2' ? 'v2' : 'v1', digest: Buffer.from(match[2], 'hex') } satisfies Entry];
  });
}

/** Compares every entry against every secret without stopping early, each comparison in constant time. */
function matches(entries: readonly Entry[], scheme: SignatureScheme, signed: Signed, secrets: readonly string[]) {
  let matched = false;
  for (const secret of secrets) {
    if (entries.length === 0) break;
    const expected = hmac(secret, scheme, signed);
    for (const entry of entries) {
      // Both are 32 bytes here (the pattern fixed the length), which timingSafeEqual requires.
      if (expected.length === entry.digest.length && timingSafeEqual(expected, entry.digest)) matched = true;
    }
  }
  return matched;
}

function hmac(secret: string, scheme: SignatureScheme, signed: Signed): Buffer {
  const mac = createHmac('sha256', secret);
  if (scheme === 'v1') return mac.update(signed.timestamp).update('.').update(signed.body).digest();
  return mac.update(`v2\n${signed.timestamp}\n${signed.deliveryId}\n`).update(signed.body).digest();
}

function bytes(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body) : body;
}

function header(headers: SignedDelivery['headers'], name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? undefined : value;
  return text === undefined || text === '' ? undefined : text;
}
