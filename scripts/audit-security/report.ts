/**
 * Pure helpers of `npm run audit:security`: the spellings a leaked secret can take on the way out, and the
 * report (one line per attack, a summary, then one JSON line). No I/O here, so they are unit-tested.
 */

/** How one attack went: refused as it should be (PASS), not refused (FAIL), or not run (SKIP, with why). */
export type Verdict = 'PASS' | 'FAIL' | 'SKIP';

/** One attack's result, as printed and as it appears in the JSON line. */
export interface AttackResult {
  id: string;
  finding: string;
  attack: string;
  verdict: Verdict;
  detail: string;
}

/** A check failed: the attack got through, or something it should not have changed changed. */
export class AttackSucceeded extends Error {}

/** The attack could not be set up against this dev instance; the message says why. */
export class AttackSkipped extends Error {}

/** Throws AttackSucceeded with `detail` unless `condition` holds. */
export function expectThat(condition: boolean, detail: string): asserts condition {
  if (!condition) throw new AttackSucceeded(detail);
}

/** Throws AttackSkipped with `detail` unless `condition` holds (the attack's setup did not work). */
export function setupThat(condition: boolean, detail: string): asserts condition {
  if (!condition) throw new AttackSkipped(detail);
}

/**
 * The spellings of `secret` that a destination or an echoing server could use: as written,
 * percent-encoded, JSON-escaped, hex (both cases), and base64 (standard and URL-safe) at each of the three
 * byte alignments, keeping only the characters that depend on the secret's bytes alone.
 */
export function leakSpellings(secret: string): { form: string; text: string }[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: { form: string; text: string }[] = [
    { form: 'raw', text: secret },
    { form: 'percent-encoded', text: encodeURIComponent(secret) },
    { form: 'JSON-escaped', text: JSON.stringify(secret).slice(1, -1) },
    { form: 'hex', text: bytes.toString('hex') },
    { form: 'hex', text: bytes.toString('hex').toUpperCase() },
  ];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Group g covers bytes 3g..3g+2 of the padded input; keep the groups that lie wholly inside the secret.
    const first = Math.ceil(offset / 3);
    const last = Math.floor((offset + bytes.length) / 3) - 1;
    if (last < first) continue;
    const text = encoded.slice(first * 4, (last + 1) * 4);
    forms.push({ form: 'base64', text }, { form: 'base64url', text: text.replaceAll('+', '-').replaceAll('/', '_') });
  }
  // A short secret has spellings too short to mean anything; they would match by chance.
  return forms.filter((f) => f.text.length >= 8);
}

/** The first spelling of `secret` found in `haystack` (`hex`, `base64`, ...), or undefined. */
export function findLeak(haystack: string, secret: string): string | undefined {
  return leakSpellings(secret).find((f) => haystack.includes(f.text))?.form;
}

const FINDING_WIDTH = 4;
const ATTACK_WIDTH = 58;

/** `PASS  F1  <attack>  <what happened>`, one line (line breaks in the detail are folded). */
export function formatResult(result: AttackResult): string {
  const detail = result.detail.replace(/\s*\n\s*/g, ' / ');
  return `${result.verdict}  ${result.finding.padEnd(FINDING_WIDTH)}${result.attack.padEnd(ATTACK_WIDTH)}  ${detail}`;
}

/** Counts of each verdict. */
export function tally(results: readonly AttackResult[]): { passed: number; failed: number; skipped: number } {
  const count = (verdict: Verdict) => results.filter((r) => r.verdict === verdict).length;
  return { passed: count('PASS'), failed: count('FAIL'), skipped: count('SKIP') };
}

/** The summary line. */
export function summaryLine(results: readonly AttackResult[]): string {
  const { passed, failed, skipped } = tally(results);
  const verdict = failed > 0 ? `${failed} attack(s) got through` : 'every attack that ran was refused';
  return `${results.length} attacks: ${passed} passed, ${failed} failed, ${skipped} skipped: ${verdict}`;
}

/** The last line: one JSON object for machines (`ok` is true only for PASS; `result` tells FAIL from SKIP). */
export function jsonLine(results: readonly AttackResult[]): string {
  const { passed, failed, skipped } = tally(results);
  const attacks = results.map((r) => ({
    id: r.id,
    finding: r.finding,
    ok: r.verdict === 'PASS',
    result: r.verdict,
    attack: r.attack,
    detail: r.detail,
  }));
  return JSON.stringify({ passed, failed, skipped, attacks });
}

/** The process exit code: 1 when any attack got through. */
export function exitCode(results: readonly AttackResult[]): number {
  return tally(results).failed > 0 ? 1 : 0;
}
