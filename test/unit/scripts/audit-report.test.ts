/**
 * Pure helpers of `npm run audit:security` (scripts/audit-security/report.ts): a secret is found in the
 * spellings an echoing destination uses, wherever it sits in the stream, and the report's lines and exit code.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  exitCode,
  findLeak,
  formatResult,
  jsonLine,
  summaryLine,
  type AttackResult,
} from '../../../scripts/audit-security/report.js';

const secret = randomBytes(24).toString('base64url');

describe('findLeak', () => {
  it('finds a secret inside base64 and base64url of a larger request at every byte alignment', () => {
    for (const prefix of ['', 'a', 'ab', 'abc', 'GET / HTTP/1.1\r\nAuthorization: Bearer ']) {
      const raw = Buffer.from(`${prefix}${secret}\r\n\r\n{"x":1}`);
      expect(findLeak(raw.toString('base64'), secret), prefix).toBe('base64');
      expect(findLeak(raw.toString('base64url'), secret), prefix).toMatch(/^base64/);
    }
  });

  it('finds it raw, hex in either case, percent-encoded and JSON-escaped', () => {
    expect(findLeak(`token=${secret};`, secret)).toBe('raw');
    expect(findLeak(Buffer.from(`x${secret}y`).toString('hex'), secret)).toBe('hex');
    expect(findLeak(Buffer.from(secret).toString('hex').toUpperCase(), secret)).toBe('hex');
    const quoted = 'a"b/c d+e';
    expect(findLeak(`q=${encodeURIComponent(`${quoted}${secret}`)}`, `${quoted}${secret}`)).toBe('percent-encoded');
    expect(findLeak(JSON.stringify({ v: `${quoted}${secret}` }), `${quoted}${secret}`)).toBe('JSON-escaped');
  });

  it('finds nothing in text that only resembles it', () => {
    const other = randomBytes(24).toString('base64url');
    const raw = Buffer.from(`Bearer ${other}`);
    expect(findLeak(`${other} ${raw.toString('base64')} ${raw.toString('hex')}`, secret)).toBeUndefined();
  });
});

describe('the report', () => {
  const results: AttackResult[] = [
    { id: '1a', finding: 'F1', attack: 'markers', verdict: 'PASS', detail: 'refused' },
    { id: '8b', finding: 'F8', attack: 'status page', verdict: 'FAIL', detail: 'shows the id\nand more' },
    { id: '8f', finding: 'F8', attack: 'modes', verdict: 'SKIP', detail: 'no data dir' },
  ];

  it('prints one line per attack, verdict first', () => {
    expect(formatResult(results[0]!)).toMatch(/^PASS {2}F1 {2}markers +refused$/);
    expect(formatResult(results[1]!)).toMatch(/^FAIL {2}F8 .*shows the id \/ and more$/);
  });

  it('ends with a summary and one JSON object; exits 1 only when an attack got through', () => {
    expect(summaryLine(results)).toBe('3 attacks: 1 passed, 1 failed, 1 skipped: 1 attack(s) got through');
    const json = JSON.parse(jsonLine(results)) as { passed: number; failed: number; attacks: { ok: boolean }[] };
    expect(json).toMatchObject({ passed: 1, failed: 1, skipped: 1 });
    expect(json.attacks.map((a) => a.ok)).toEqual([true, false, false]);
    expect(exitCode(results)).toBe(1);
    expect(exitCode([results[0]!, results[2]!])).toBe(0);
  });
});
