import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, startTestEnv, waitForStep, type TestEnv } from '../support/temporal.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => env?.close());

describe('smoke', () => {
  it('runs a note, waits for a task, completes', async () => {
    const plan = env.compile(`
apiVersion: firebreak/v1
id: smoke
title: Smoke
version: 1
severity: sev3
params:
  host: { type: string, required: true }
roles:
  commander: {}
facts:
  affected: { type: integer }
steps:
  - id: note
    title: Note it
    action: timeline.note
    with: { text: "Investigating \${{ params.host }}" }
  - id: scope
    title: Scope
    task: Count affected on \${{ params.host }}
    assignee: role:commander
    sets: [affected]
`);
    const id = await env.trigger(plan, { host: 'web-1' });
    const waiting = await waitForStep(env.incidents, id, 'scope', 'waiting');
    expect(waiting.timeline.some((e) => e.type === 'note' && e.message === 'Investigating web-1')).toBe(true);
    await env.incidents.completeTask(id, { actor: alice, step: 'scope', facts: { affected: { value: 12 } } });
    const result = await env.incidents.result(id);
    expect(result.status).toBe('completed');
    expect(result.facts).toEqual({ affected: 12 });
  });
});
