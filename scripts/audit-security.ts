/**
 * `npm run audit:security`: re-runs the attacks of the security review (issue 10) against a live
 * `firebreak dev` started from this checkout, and prints one line per attack, a summary, and one JSON line.
 * Exits 1 when any attack got through. Everything is loopback and scratch: its own dev on free ports, a
 * scratch config, runbooks and data dir, an echo server; all stopped (and the scratch removed unless
 * `--keep`) at the end. See docs/security-audit.md.
 *
 *   npm run audit:security [-- --keep] [-- --only 1,3a,8]
 */
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/cli/commands/process.js';
import { accessAttacks, approvalAttacks } from './audit-security/attacks-access.js';
import { hardeningAttacks } from './audit-security/attacks-hardening.js';
import { inputAttacks } from './audit-security/attacks-input.js';
import { secretAttacks } from './audit-security/attacks-secrets.js';
import { webhookAttacks } from './audit-security/attacks-webhook.js';
import { AuditContext, type Attack } from './audit-security/helpers.js';
import {
  AttackSkipped,
  AttackSucceeded,
  exitCode,
  formatResult,
  jsonLine,
  summaryLine,
  type AttackResult,
} from './audit-security/report.js';
import { startStack, type AuditStack } from './audit-security/stack.js';

const ATTACK_TIMEOUT_MS = 60_000;

/** Every attack, in the order of the findings. */
const ATTACKS: Attack[] = [
  ...secretAttacks,
  ...accessAttacks,
  ...webhookAttacks.filter((a) => a.finding === 'F3'),
  ...inputAttacks.filter((a) => a.finding === 'F4'),
  ...inputAttacks.filter((a) => a.finding === 'F5'),
  ...webhookAttacks.filter((a) => a.finding === 'F5'),
  ...inputAttacks.filter((a) => a.finding === 'F6'),
  ...approvalAttacks,
  ...hardeningAttacks,
];

const { values } = parseArgs({
  options: {
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

const progress = (line: string) => process.stderr.write(`audit: ${line}\n`);

/** Runs one attack, bounded in time; a thrown error other than a skip is a FAIL (never a silent pass). */
async function runAttack(attack: Attack, ctx: AuditContext): Promise<AttackResult> {
  const base = { id: attack.id, finding: attack.finding, attack: attack.attack };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AttackSucceeded(`no answer within ${ATTACK_TIMEOUT_MS / 1000} s`)),
      ATTACK_TIMEOUT_MS,
    );
  });
  try {
    const detail = await Promise.race([attack.run(ctx), timeout]);
    return { ...base, verdict: 'PASS', detail };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof AttackSkipped) return { ...base, verdict: 'SKIP', detail: message };
    if (error instanceof AttackSucceeded) return { ...base, verdict: 'FAIL', detail: message };
    return { ...base, verdict: 'FAIL', detail: `the check itself failed: ${message}` };
  } finally {
    clearTimeout(timer);
  }
}

function selected(attack: Attack): boolean {
  if (values.only === undefined) return true;
  return values.only.split(',').some((want) => attack.id.startsWith(want.trim()));
}

async function main(): Promise<number> {
  const started = Date.now();
  progress('starting firebreak dev on free loopback ports with a scratch config, runbooks and data dir ...');
  let stack: AuditStack | undefined;
  const stopOnSignal = () => {
    progress('interrupted: stopping what the audit started');
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    stack = await startStack({ projectRoot: projectRoot(), keep: values.keep, log: progress });
  } catch (error) {
    console.error(`audit: could not start firebreak dev: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  progress(`running against ${stack.api.baseUrl} (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const results: AttackResult[] = [];
  try {
    const ctx = new AuditContext(stack);
    for (const attack of ATTACKS.filter(selected)) {
      const result = await runAttack(attack, ctx);
      results.push(result);
      process.stdout.write(`${formatResult(result)}\n`);
    }
  } finally {
    await stack.stop();
  }
  process.stdout.write(`${summaryLine(results)} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  process.stdout.write(`${jsonLine(results)}\n`);
  return exitCode(results);
}

process.exitCode = await main();
