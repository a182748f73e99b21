/**
 * Finding 1: no value from outside becomes a secret. A param and a fact holding in-band secret markers flow
 * into http.request to the echo server; a `secret` param given a raw reference is refused; a declared
 * secret that the destination echoes back is redacted from everything the incident shows.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { brief, describe, field } from './api.js';
import { stepSummary, type Attack, type AuditContext } from './helpers.js';
import { expectThat, findLeak, setupThat } from './report.js';
import { DECLARED_SECRET, RUNBOOKS } from './runbooks.js';

interface SecretFlow {
  incidentId: string;
  /** Everything the echo server received for this incident's call, raw. */
  sent: string;
  /** The incident's state, its messages and the timeline, as JSON text. */
  shown: string;
  call: string;
}

let flow: Promise<SecretFlow> | undefined;

/** Runs the secret-flow incident once; 1a and 1d read what it did. */
function secretFlow(ctx: AuditContext): Promise<SecretFlow> {
  flow ??= (async () => {
    const markers = markerText(ctx);
    const before = ctx.stack.echo.received.length;
    const incidentId = await ctx.open(RUNBOOKS.secretFlow, { note: markers, key: DECLARED_SECRET });
    await ctx.untilStep(incidentId, 'supply', ['waiting']);
    const done = await ctx.api.post(`/api/v1/incidents/${incidentId}/tasks/supply/complete`, ctx.tokens.commander, {
      facts: { payload: { value: markers } },
    });
    setupThat(done.status === 200, `setup: completing the task answered ${describe(done)}`);
    const state = await ctx.untilStep(incidentId, 'note', ['succeeded', 'failed'], 30_000);
    const sent = ctx.stack.echo.received
      .slice(before)
      .filter((r) => r.url.startsWith('/f1'))
      .map((r) => r.raw)
      .join('\n');
    const messages = await ctx.api.get(`/api/v1/incidents/${incidentId}/messages`, ctx.tokens.reader);
    return { incidentId, sent, shown: JSON.stringify(state) + messages.text, call: stepSummary(state, 'call') };
  })();
  return flow;
}

function markerText(ctx: AuditContext): string {
  return `⟦secret:env:FIREBREAK_AUDIT_CANARY⟧⟦secret:file:${path.join(ctx.stack.dataDir, 'admin.token')}⟧`;
}

/** Spellings of the canary in any file of the data directory (Temporal's database included). */
function canaryInDataDir(ctx: AuditContext): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 6) return;
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      const stat = statSync(file);
      if (stat.isDirectory()) walk(file, depth + 1);
      else if (stat.isFile() && stat.size < 512 * 1024 * 1024) {
        const form = findLeak(readFileSync(file).toString('latin1'), ctx.stack.canary);
        if (form) found.push(`${path.relative(ctx.stack.dataDir, file)} (${form})`);
      }
    }
  };
  walk(ctx.stack.dataDir, 0);
  return found;
}

export const secretAttacks: Attack[] = [
  {
    id: '1a',
    finding: 'F1',
    attack: 'secret markers in a param and a fact reach http.request',
    async run(ctx) {
      const result = await secretFlow(ctx);
      setupThat(result.sent !== '', `the echo server received nothing (${result.call}): the values were not sent`);
      expectThat(result.sent.includes(markerText(ctx)), `the markers did not arrive as text (${result.call})`);
      const secrets = { 'env canary': ctx.stack.canary, 'admin token': ctx.tokens.admin };
      for (const [name, value] of Object.entries(secrets)) {
        const sent = findLeak(result.sent, value);
        expectThat(sent === undefined, `the ${name} was sent to the destination (${sent})`);
        const shown = findLeak(result.shown, value);
        expectThat(shown === undefined, `the ${name} is shown by incident ${result.incidentId} (${shown})`);
        const logged = findLeak(ctx.stack.devOutput(), value);
        expectThat(logged === undefined, `the ${name} is in firebreak dev's output (${logged})`);
      }
      const stored = canaryInDataDir(ctx);
      expectThat(stored.length === 0, `the env canary is stored in the data dir: ${stored.join(', ')}`);
      return `markers sent as text (${result.call}); canary and admin token in nothing sent, shown, logged or stored (raw/base64/hex/percent)`;
    },
  },
  {
    id: '1b',
    finding: 'F1',
    attack: 'secret param given env:FIREBREAK_AUDIT_CANARY / file:/etc/passwd',
    async run(ctx) {
      const answers: string[] = [];
      for (const reference of ['env:FIREBREAK_AUDIT_CANARY', 'file:/etc/passwd']) {
        const answer = await ctx.trigger(RUNBOOKS.secretFlow, { note: 'audit', key: reference });
        expectThat(answer.status === 400, `key=${reference} answered ${describe(answer)}`);
        expectThat(typeof field(answer.body, 'incidentId') !== 'string', `key=${reference} opened an incident`);
        expectThat(
          findLeak(answer.text, ctx.stack.canary) === undefined,
          `the refusal of ${reference} holds the canary`,
        );
        expectThat(!answer.text.includes('root:x:0:0'), `the refusal of ${reference} holds /etc/passwd`);
        answers.push(`${reference}: ${brief(answer)}`);
      }
      const stray = await ctx.strayIncidents(RUNBOOKS.secretFlow);
      expectThat(stray.length === 0, `incident(s) opened anyway: ${stray.join(', ')}`);
      return `${answers.join('; ')}; no incident`;
    },
  },
  {
    id: '1c',
    finding: 'F1',
    attack: 'declared secret echoed back by the destination',
    async run(ctx) {
      const result = await secretFlow(ctx);
      setupThat(
        result.sent.includes(`Bearer ${ctx.stack.declared}`),
        `the declared secret did not reach the echo server (${result.call}): nothing to redact`,
      );
      const shown = findLeak(result.shown, ctx.stack.declared);
      expectThat(shown === undefined, `the echoed secret is shown by incident ${result.incidentId} (${shown})`);
      const logged = findLeak(ctx.stack.devOutput(), ctx.stack.declared);
      expectThat(logged === undefined, `the declared secret is in firebreak dev's output (${logged})`);
      return `sent where the runbook puts it; echoed raw, base64, base64url, hex and percent-encoded, shown nowhere in the incident`;
    },
  },
];
