/**
 * Findings 4, 5 and 6 through the API: an explosive regex over a long param, names every JavaScript object
 * inherits (`constructor`, `toString`, `__proto__`), a param over the size limits and a deeply nested body.
 */
import { brief, describe } from './api.js';
import { step, stepSummary, type Attack } from './helpers.js';
import { expectThat } from './report.js';
import { RUNBOOKS } from './runbooks.js';

const terminal = ['succeeded', 'failed', 'skipped', 'timed_out', 'cancelled'];

export const inputAttacks: Attack[] = [
  {
    id: '4a',
    finding: 'F4',
    attack: 'matches("(a+)+$") over a 3991-character param',
    async run(ctx) {
      const text = `${'a'.repeat(3990)}!`;
      const started = Date.now();
      const id = await ctx.open(RUNBOOKS.regex, { text, pattern: '(a+)+$' });
      const state = await ctx.until(id, (s) =>
        ['literal', 'from-param'].every((s2) => terminal.includes(step(s, s2)?.status ?? '')),
      );
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const done = ['literal', 'from-param'].every((s) => terminal.includes(step(state, s)?.status ?? ''));
      expectThat(done, `after ${seconds} s: ${stepSummary(state, 'literal')}, ${stepSummary(state, 'from-param')}`);
      for (const s of ['literal', 'from-param']) {
        const error = step(state, s)?.error;
        expectThat(
          !error || error.code === 'EXPRESSION_ERROR',
          `${stepSummary(state, s)}: not a clear expression error`,
        );
      }
      const readStart = Date.now();
      const read = await ctx.api.get(`/api/v1/incidents/${id}`, ctx.tokens.reader);
      const readMs = Date.now() - readStart;
      expectThat(read.status === 200 && readMs < 3_000, `GET answered ${read.status} in ${readMs} ms`);
      expectThat(await ctx.cancel(id), `the incident could not be cancelled`);
      return `${stepSummary(state, 'literal')}, ${stepSummary(state, 'from-param')} within ${seconds} s; GET 200 in ${readMs} ms; cancelled`;
    },
  },
  {
    id: '5a',
    finding: 'F5',
    attack: 'facts named constructor and __proto__',
    async run(ctx) {
      const id = await ctx.open(RUNBOOKS.ownNames, { host: 'web-5a' });
      const before = await ctx.untilStep(id, 'scope', ['waiting']);
      const base = `/api/v1/incidents/${id}`;
      const attempts = [
        ['facts', { name: 'constructor', value: 'x' }],
        ['facts', '{"name":"__proto__","value":{"polluted":true}}'],
        ['tasks/scope/complete', { facts: { constructor: { value: 'x' } } }],
        ['tasks/scope/complete', '{"facts":{"__proto__":{"value":"x"}}}'],
      ] as const;
      const statuses: number[] = [];
      for (const [route, body] of attempts) {
        const answer = await ctx.api.call(`${base}/${route}`, { method: 'POST', token: ctx.tokens.commander, body });
        expectThat(
          answer.status >= 400 && answer.status < 500,
          `${route} ${JSON.stringify(body)} answered ${describe(answer)}`,
        );
        statuses.push(answer.status);
      }
      const after = await ctx.state(id);
      expectThat(
        JSON.stringify(Object.keys(after.facts)) === JSON.stringify(Object.keys(before.facts)),
        `facts are now ${JSON.stringify(after.facts)}`,
      );
      expectThat(after.timeline.length === before.timeline.length, `the timeline grew`);
      expectThat(step(after, 'scope')?.status === 'waiting', `the task is ${step(after, 'scope')?.status}`);
      return `set and task completion refused (${statuses.join(', ')}); facts, timeline and task unchanged`;
    },
  },
  {
    id: '5b',
    finding: 'F5',
    attack: 'trigger params toString and constructor',
    async run(ctx) {
      const answers: string[] = [];
      for (const name of ['toString', 'constructor']) {
        const answer = await ctx.trigger(RUNBOOKS.ownNames, { host: 'web-5b', [name]: 'x' });
        expectThat(answer.status === 400, `param ${name} answered ${describe(answer)}`);
        answers.push(`${name}: ${brief(answer)}`);
      }
      const stray = await ctx.strayIncidents(RUNBOOKS.ownNames);
      expectThat(stray.length === 0, `incident(s) opened anyway: ${stray.join(', ')}`);
      return `${answers.join('; ')}; no incident`;
    },
  },
  {
    id: '6a',
    finding: 'F6',
    attack: 'a 60 KB string param',
    async run(ctx) {
      const answer = await ctx.trigger(RUNBOOKS.ownNames, { host: 'x'.repeat(60 * 1024) });
      expectThat([400, 413, 422].includes(answer.status), `answered ${describe(answer)}`);
      const stray = await ctx.strayIncidents(RUNBOOKS.ownNames);
      expectThat(stray.length === 0, `incident(s) opened anyway: ${stray.join(', ')}`);
      return `${describe(answer).slice(0, 140)}; no incident`;
    },
  },
  {
    id: '6b',
    finding: 'F6',
    attack: 'a JSON body nested 20,000 deep (API and webhook)',
    async run(ctx) {
      const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
      const api = await ctx.api.call('/api/v1/incidents', { method: 'POST', token: ctx.tokens.commander, body: deep });
      expectThat(api.status === 400, `POST /incidents answered ${describe(api)}`);
      const hook = await ctx.deliver(deep, ctx.signed(deep));
      expectThat(hook.status === 400, `the signed webhook answered ${describe(hook)}`);
      const health = await ctx.api.get('/healthz');
      expectThat(health.status === 200, `/healthz answered ${health.status} afterwards`);
      return `API ${brief(api)}; webhook ${brief(hook)}; server healthy afterwards`;
    },
  },
];
