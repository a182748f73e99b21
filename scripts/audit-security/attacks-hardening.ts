/**
 * Finding 8, defence in depth: failed tokens cannot lock a valid one out, the public status page names no
 * incident or runbook, http.request does not reach metadata, private or loopback-by-name addresses, and
 * the data directory is owner-only.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, waitFor } from './api.js';
import { step, stepSummary, type Attack, type AuditContext, type StateView } from './helpers.js';
import { expectThat, setupThat } from './report.js';
import { RUNBOOKS } from './runbooks.js';

let ssrf: Promise<{ id: string; state: StateView; echoed: number }> | undefined;

/** The outbound-request incident, run once for 8c-8e: every request step finished. */
function runSsrf(ctx: AuditContext) {
  ssrf ??= (async () => {
    const before = ctx.stack.echo.received.length;
    const id = await ctx.open(RUNBOOKS.ssrf);
    const state = await ctx.untilStep(id, 'hold', ['waiting'], 60_000);
    const echoed = ctx.stack.echo.received.slice(before).filter((r) => r.url.startsWith('/f8')).length;
    return { id, state, echoed };
  })();
  return ssrf;
}

/** A request step was refused before anything was sent: NOT_ALLOWED, quickly. */
async function refusedRequest(ctx: AuditContext, stepId: string): Promise<string> {
  const { state } = await runSsrf(ctx);
  const s = step(state, stepId);
  expectThat(s?.status === 'failed', `the request was made: ${stepSummary(state, stepId)}`);
  expectThat(s.error?.code === 'NOT_ALLOWED', `refused for another reason: ${stepSummary(state, stepId)}`);
  const ms = s.startedAt && s.endedAt ? Date.parse(s.endedAt) - Date.parse(s.startedAt) : NaN;
  expectThat(!(ms > 4_000), `took ${ms} ms: a connection was attempted`);
  return `${stepSummary(state, stepId)}`.slice(0, 200);
}

const TRAVERSE_LIMIT = 2_000;

/** Entries of the data directory whose mode is wider than 0700 (dirs) or 0600 (files), and what was seen. */
function modeProblems(dataDir: string): { problems: string[]; seen: string[] } {
  const problems: string[] = [];
  const seen: string[] = [];
  let count = 0;
  const visit = (file: string) => {
    if (++count > TRAVERSE_LIMIT) return;
    const stat = lstatSync(file);
    const mode = stat.mode & 0o777;
    const name = path.relative(dataDir, file) || '.';
    seen.push(name);
    if (stat.isDirectory()) {
      if (mode !== 0o700) problems.push(`${name}/ ${mode.toString(8)}`);
      for (const entry of readdirSync(file)) visit(path.join(file, entry));
    } else if (stat.isFile() && mode !== 0o600) problems.push(`${name} ${mode.toString(8)}`);
  };
  visit(dataDir);
  return { problems, seen };
}

export const hardeningAttacks: Attack[] = [
  {
    id: '8a',
    finding: 'F8',
    attack: '11 bad tokens from one address, then a valid one',
    async run(ctx) {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const answer = await ctx.api.get('/api/v1/runbooks', randomBytes(32).toString('base64url'));
        statuses.push(answer.status);
      }
      expectThat(
        statuses.every((s) => s === 401 || s === 429),
        `bad tokens answered ${statuses.join(',')}`,
      );
      expectThat(statuses.at(-1) === 429, `the 11th bad token answered ${statuses.at(-1)}: failures are not limited`);
      const valid = await ctx.api.get('/api/v1/runbooks', ctx.tokens.commander);
      expectThat(valid.status === 200, `the valid token then answered ${describe(valid)}`);
      return `bad: ${statuses.join(',')}; valid token then 200`;
    },
  },
  {
    id: '8b',
    finding: 'F8',
    attack: '/status and its feed name an incident or runbook',
    async run(ctx) {
      const id = await ctx.open(RUNBOOKS.status);
      await ctx.untilStep(id, 'publish', ['succeeded']);
      const index = await waitFor(
        async () => {
          const page = await ctx.api.get('/status');
          return page.text.includes('Audit service notice') ? page : undefined;
        },
        { timeoutMs: 10_000 },
      );
      setupThat(index !== undefined, `setup: /status does not show the published update`);
      const feed = await ctx.api.get('/status/feed.json');
      const links = [...new Set([...index.text.matchAll(/href="(\/status\/incidents\/[^"#?]+)"/g)].map((m) => m[1]))];
      const pages = [
        { name: '/status', text: index.text },
        { name: '/status/feed.json', text: feed.text },
      ];
      for (const link of links.slice(0, 10)) if (link) pages.push({ name: link, text: (await ctx.api.get(link)).text });
      for (const page of pages) {
        expectThat(!page.text.includes(id), `${page.name} shows the incident id ${id}`);
        expectThat(!page.text.includes(RUNBOOKS.status), `${page.name} shows the runbook id ${RUNBOOKS.status}`);
      }
      return `${pages.map((p) => p.name.replace(/incidents\/.*/, 'incidents/<public id>')).join(', ')}: neither the incident id nor the runbook id`;
    },
  },
  {
    id: '8c',
    finding: 'F8',
    attack: 'http.request to 169.254.169.254 (listed in allow)',
    run: (ctx) => refusedRequest(ctx, 'metadata'),
  },
  {
    id: '8d',
    finding: 'F8',
    attack: 'http.request to 10.0.0.1',
    run: (ctx) => refusedRequest(ctx, 'private'),
  },
  {
    id: '8e',
    finding: 'F8',
    attack: 'http.request to localhost (allowed name -> loopback)',
    async run(ctx) {
      const detail = await refusedRequest(ctx, 'by-name');
      const { echoed } = await runSsrf(ctx);
      expectThat(echoed === 0, `the echo server received ${echoed} request(s) through the name`);
      return `${detail}; the echo server received nothing`;
    },
  },
  {
    id: '8f',
    finding: 'F8',
    attack: 'data dir files 0600 and directories 0700',
    run(ctx) {
      const { problems, seen } = modeProblems(ctx.stack.dataDir);
      const kinds = ['admin.token', 'temporal.sqlite', 'audit.jsonl', 'outbox/'];
      const present = kinds.filter((kind) => seen.some((name) => name.startsWith(kind.replace(/\/$/, ''))));
      setupThat(present.length > 0, `setup: none of ${kinds.join(', ')} exists in the data dir`);
      const shown = problems.slice(0, 6).join(', ') + (problems.length > 6 ? `, and ${problems.length - 6} more` : '');
      expectThat(problems.length === 0, `wider than owner-only: ${shown}`);
      return Promise.resolve(`${seen.length} entries owner-only, including ${present.join(', ')}`);
    },
  },
];
