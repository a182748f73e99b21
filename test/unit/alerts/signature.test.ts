/** Generic webhook signatures: raw-body HMAC, constant-time compare, clock window, two secrets, coarse reasons. */
import { describe, expect, it } from 'vitest';
import { signDelivery, verifySignature, type SignedDelivery } from '../../../src/alerts/signature.js';

const NOW = Date.UTC(2025, 4, 1, 12, 0, 0);
const now = () => NOW;
const seconds = Math.floor(NOW / 1000);
const body = Buffer.from('{"fingerprint":"abc","status":"firing"}');

function delivery(overrides: Record<string, string | undefined> = {}, raw: Buffer = body): SignedDelivery {
  const timestamp = overrides.timestamp ?? String(seconds);
  return {
    headers: {
      'x-firebreak-timestamp': timestamp,
      'x-firebreak-signature': overrides.signature ?? signDelivery('s3cret', timestamp, raw),
      'x-firebreak-delivery': overrides.delivery ?? 'd-1',
      ...Object.fromEntries(Object.entries(overrides).filter(([key]) => key.startsWith('x-'))),
    },
    body: raw,
  };
}

describe('verifySignature', () => {
  it('accepts a delivery signed with the secret over timestamp and raw body', () => {
    expect(verifySignature(delivery(), { secrets: ['s3cret'], now })).toEqual({
      ok: true,
      deliveryId: 'd-1',
      timestamp: seconds,
    });
  });

  it('accepts either secret during a rotation, and upper-case hex', () => {
    const signed = delivery({
      signature: signDelivery('old-secret', seconds, body).toUpperCase().replace('SHA256', 'sha256'),
    });
    expect(verifySignature(signed, { secrets: ['new-secret', 'old-secret'], now }).ok).toBe(true);
    expect(verifySignature(signed, { secrets: ['new-secret'], now })).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses a changed body, a forged or malformed signature, and no secrets at all', () => {
    const tampered = { ...delivery(), body: Buffer.from('{"fingerprint":"abd","status":"firing"}') };
    expect(verifySignature(tampered, { secrets: ['s3cret'], now })).toEqual({ ok: false, reason: 'signature' });
    for (const signature of [
      `sha256=${'0'.repeat(64)}`,
      'sha256=abc',
      'md5=00',
      signDelivery('s3cret', seconds, body).slice(7),
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
    const stale = delivery({ timestamp: String(seconds - 10_000), signature: `sha256=${'1'.repeat(64)}` });
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
