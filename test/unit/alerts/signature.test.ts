/**
 * Generic webhook signatures: v2 HMAC over timestamp, delivery id and raw body; v1 only when accepted;
 * constant-time compare, clock window, two secrets, coarse reasons; the scheme-independent content key.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deliveryContentKey,
  signDelivery,
  signDeliveryV1,
  verifySignature,
  type SignedDelivery,
} from '../../../src/alerts/signature.js';

const NOW = Date.UTC(2025, 4, 1, 12, 0, 0);
const now = () => NOW;
const seconds = Math.floor(NOW / 1000);
const body = Buffer.from('{"fingerprint":"abc","status":"firing"}');

function delivery(overrides: Record<string, string | undefined> = {}, raw: Buffer = body): SignedDelivery {
  const timestamp = overrides.timestamp ?? String(seconds);
  const deliveryId = overrides.delivery ?? 'd-1';
  return {
    headers: {
      'x-firebreak-timestamp': timestamp,
      'x-firebreak-signature': overrides.signature ?? signDelivery('s3cret', timestamp, deliveryId, raw),
      'x-firebreak-delivery': deliveryId,
      ...Object.fromEntries(Object.entries(overrides).filter(([key]) => key.startsWith('x-'))),
    },
    body: raw,
  };
}

describe('verifySignature', () => {
  it('accepts a delivery signed (v2) with the secret over timestamp, delivery id and raw body', () => {
    expect(verifySignature(delivery(), { secrets: ['s3cret'], now })).toEqual({
      ok: true,
      deliveryId: 'd-1',
      timestamp: seconds,
      scheme: 'v2',
    });
  });

  it('signs v2=HMAC of "v2\\n<timestamp>\\n<delivery id>\\n<body>" (what the docs tell senders)', () => {
    const expected = createHmac('sha256', 's3cret').update(`v2\n${seconds}\nd-1\n${body.toString()}`).digest('hex');
    expect(signDelivery('s3cret', seconds, 'd-1', body)).toBe(`v2=${expected}`);
  });

  it('binds the delivery id: the same signature under another id is refused', () => {
    const signed = delivery();
    const moved = { ...signed, headers: { ...signed.headers, 'x-firebreak-delivery': 'd-2' } };
    expect(verifySignature(moved, { secrets: ['s3cret'], now })).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses a v1 signature by default, and takes it (as v1, any delivery id) only when accepted', () => {
    const v1 = delivery({ signature: signDeliveryV1('s3cret', seconds, body) });
    expect(verifySignature(v1, { secrets: ['s3cret'], now })).toEqual({ ok: false, reason: 'signature version' });
    expect(verifySignature(v1, { secrets: ['s3cret'], now, acceptV1: true })).toMatchObject({ ok: true, scheme: 'v1' });
    const forged = delivery({ signature: `sha256=${'0'.repeat(64)}` });
    expect(verifySignature(forged, { secrets: ['s3cret'], now, acceptV1: true })).toEqual({
      ok: false,
      reason: 'signature',
    });
  });

  it('takes a header with both schemes by its v2 entry, whether or not v1 is accepted', () => {
    const both = `${signDelivery('s3cret', seconds, 'd-1', body)}, ${signDeliveryV1('s3cret', seconds, body)}`;
    expect(verifySignature(delivery({ signature: both }), { secrets: ['s3cret'], now })).toMatchObject({
      ok: true,
      scheme: 'v2',
    });
    // A valid v1 entry beside a forged v2 one is not enough without the migration flag.
    const forgedV2 = `v2=${'0'.repeat(64)},${signDeliveryV1('s3cret', seconds, body)}`;
    expect(verifySignature(delivery({ signature: forgedV2 }), { secrets: ['s3cret'], now }).ok).toBe(false);
  });

  it('keys content by timestamp and body, whatever the id or scheme', () => {
    expect(deliveryContentKey(seconds, body)).toBe(deliveryContentKey(seconds, Buffer.from(body)));
    expect(deliveryContentKey(seconds, body)).not.toBe(deliveryContentKey(seconds + 1, body));
    expect(deliveryContentKey(seconds, body)).not.toBe(deliveryContentKey(seconds, Buffer.from(`${body.toString()} `)));
  });

  it('accepts either secret during a rotation, and upper-case hex', () => {
    const signed = delivery({
      signature: signDelivery('old-secret', seconds, 'd-1', body).toUpperCase().replace('V2', 'v2'),
    });
    expect(verifySignature(signed, { secrets: ['new-secret', 'old-secret'], now }).ok).toBe(true);
    expect(verifySignature(signed, { secrets: ['new-secret'], now })).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses a changed body, a forged or malformed signature, and no secrets at all', () => {
    const tampered = { ...delivery(), body: Buffer.from('{"fingerprint":"abd","status":"firing"}') };
    expect(verifySignature(tampered, { secrets: ['s3cret'], now })).toEqual({ ok: false, reason: 'signature' });
    for (const signature of [
      `v2=${'0'.repeat(64)}`,
      'v2=abc',
      'md5=00',
      signDelivery('s3cret', seconds, 'd-1', body).slice(3),
    ]) {
      expect(verifySignature(delivery({ signature }), { secrets: ['s3cret'], now })).toEqual({
        ok: false,
        reason: 'signature',
      });
    }
    expect(verifySignature(delivery(), { secrets: [], now })).toEqual({ ok: false, reason: 'signature' });
  });

  it('binds the timestamp: re-signing a body with another timestamp header fails', () => {
    const signed = delivery();
    const moved = { ...signed, headers: { ...signed.headers, 'x-firebreak-timestamp': String(seconds + 1) } };
    expect(verifySignature(moved, { secrets: ['s3cret'], now })).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses timestamps more than 300 s away, either way, and non-numeric ones', () => {
    for (const timestamp of [String(seconds - 301), String(seconds + 301), '1e9', `${seconds}.5`]) {
      expect(verifySignature(delivery({ timestamp }), { secrets: ['s3cret'], now })).toEqual({
        ok: false,
        reason: 'timestamp',
      });
    }
    for (const timestamp of [String(seconds - 300), String(seconds + 300)]) {
      expect(verifySignature(delivery({ timestamp }), { secrets: ['s3cret'], now }).ok).toBe(true);
    }
  });

  it('checks the signature before the clock: a stale forged delivery is a signature failure', () => {
    const stale = delivery({ timestamp: String(seconds - 10_000), signature: `v2=${'1'.repeat(64)}` });
    expect(verifySignature(stale, { secrets: ['s3cret'], now })).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses missing, empty, repeated or unprintable headers', () => {
    const base = delivery();
    for (const name of ['x-firebreak-timestamp', 'x-firebreak-signature', 'x-firebreak-delivery']) {
      const headers: Record<string, string | string[] | undefined> = { ...base.headers };
      delete headers[name];
      expect(verifySignature({ ...base, headers }, { secrets: ['s3cret'], now })).toEqual({
        ok: false,
        reason: 'missing header',
      });
      headers[name] = '';
      expect(verifySignature({ ...base, headers }, { secrets: ['s3cret'], now }).ok).toBe(false);
      headers[name] = ['a', 'b'];
      expect(verifySignature({ ...base, headers }, { secrets: ['s3cret'], now }).ok).toBe(false);
    }
    expect(verifySignature(delivery({ delivery: 'has space' }), { secrets: ['s3cret'], now })).toEqual({
      ok: false,
      reason: 'missing header',
    });
  });
});
