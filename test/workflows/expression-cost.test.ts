/**
 * Expressions with bounded cost in a running incident (issue 10, finding 4), against the real dev
 * server: a `when:` over budget and a regex RE2 refuses fail their steps with EXPRESSION_ERROR, a
 * backtracking bait answers at once, and the worker never loses a workflow task; the incident stays
 * readable and cancellable through the API.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnv, stepOf, waitForState, waitForStep, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness } from '../server/support.js';

const runbookId = `expression-cost-${randomBytes(3).toString('hex')}`;
const runbook = `
apiVersion: firebreak/v1
id: ${runbookId}
title: Expression cost
version: 1
severity: sev2
params:
  hosts: { type: list, required: true }
  text: { type: string, required: true }
  pattern: { type: string, required: true }
roles:
  commander: {}
steps:
  - id: fanout
    title: Fan out
    when: params.hosts.exists(a, params.hosts.exists(b, a + b + a + b + a + b == "none"))
    onFailure: continue
    action: timeline.note
    with: { text: never }
  - id: bait
    title: Backtracking bait
    when: params.text.matches("(a+)+$")
    action: timeline.note
    with: { text: never }
  - id: lookahead
    title: Lookahead from a param
    when: params.text.matches(params.pattern)
    onFailure: continue
    action: timeline.note
    with: { text: never }
  - { id: hold, title: Hold, task: Keep the incident open, assignee: role:commander }
`;

let env: TestEnv;
let api: ApiHarness;
beforeAll(async () => {
  env = await startTestEnv();
  api = await buildHarness(env, { plans: [env.compile(runbook)] });
});
afterAll(async () => {
  await api?.app.close();
  await env?.close();
});

describe('expressions with bounded cost in a running incident', () => {
  it('fails the step over budget or with a regex RE2 refuses, answers the bait, and stays readable and cancellable', async () => {
    const id = await env.trigger(env.compile(runbook), {
      // As large as the value limits let a trigger make them (src/domain/limits.ts): 100 items, 4000 characters.
      hosts: Array.from({ length: 100 }, (_, i) => `host-${i}-${'x'.repeat(290)}`),
      text: `${'a'.repeat(3_999)}!`,
      pattern: '^(?!prod)',
    });
    const waiting = await waitForStep(env.incidents, id, 'hold', 'waiting');

    const fanout = stepOf(waiting, 'fanout');
    expect(fanout.status).toBe('failed');
    expect(fanout.error).toMatchObject({ code: 'EXPRESSION_ERROR' });
    expect(fanout.error?.message).toMatch(/over budget: evaluating takes more than 1000000 steps/);
    // RE2 answers `(a+)+$` over 4,000 characters at once: false, so the step is skipped.
    expect(stepOf(waiting, 'bait').status).toBe('skipped');
    const lookahead = stepOf(waiting, 'lookahead');
    expect(lookahead.status).toBe('failed');
    expect(lookahead.error).toMatchObject({ code: 'EXPRESSION_ERROR' });
    expect(lookahead.error?.message).toContain('invalid regular expression "^(?!prod)" in matches() (RE2 syntax');
    expect(waiting.timeline.filter((event) => event.type === 'step.started').map((event) => event.step)).toEqual([
      'hold',
    ]);

    // Never a crash or a wedge: no workflow task failed or timed out.
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    const eventTypes = (history.events ?? []).map((event) => String(event.eventType));
    expect(eventTypes.filter((type) => /WORKFLOW_TASK_(FAILED|TIMED_OUT)/.test(type))).toEqual([]);

    const read = await api.call('alice', { method: 'GET', url: `/api/v1/incidents/${id}` });
    expect(read.statusCode).toBe(200);
    const incident = read.json<{ incident: { status: string; steps: { id: string; status: string }[] } }>().incident;
    expect(incident.status).toBe('running');
    expect(incident.steps.find((step) => step.id === 'fanout')?.status).toBe('failed');
    const cancel = await api.call('alice', { method: 'POST', url: `/api/v1/incidents/${id}/cancel` });
    expect(cancel.statusCode).toBe(200);
    await waitForState(env.incidents, id, (state) => state.status === 'cancelled');
  });
});
