/**
 * Post-mortems drafted from real runs on the dev server: a tabletop incident (a decision, an action, a
 * task, an approval, a message approved and sent, a deadline met), an aborted one whose compensation
 * failed, and a cancelled one. Each run's final state is drafted as a post-mortem would be.
 * With CAPTURE_POSTMORTEM_STATES=1 the states are written to test/fixtures/postmortem/ for the unit goldens.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/state.js';
import { draftPostmortem, type DraftOptions } from '../../src/postmortems/draft.js';
import { renderPostmortem } from '../../src/postmortems/render.js';
import {
  alice,
  bob,
  carol,
  projectRoot,
  startTestEnv,
  waitForState,
  waitForStep,
  type TestEnv,
} from '../support/temporal.js';

const fixtures = path.join(projectRoot, 'test/fixtures/postmortem');
const capture = process.env.CAPTURE_POSTMORTEM_STATES === '1';
// The secret a `secret` param names: neither it nor the name may reach a post-mortem.
const TOKEN = 'FAKE-51HxQ-postmortem-never-shows-this';

let env: TestEnv;
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'firebreak-postmortem-'));
  env = await startTestEnv({
    env: { KEYS_API_TOKEN: TOKEN },
    configure: (config) => ({ ...config, secrets: { 'keys-api': { reference: 'env:KEYS_API_TOKEN' } } }),
    templates: [path.join(projectRoot, 'test/fixtures/notify-templates')],
    dataDir,
  });
});
afterAll(async () => {
  await env?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const options: DraftOptions = {
  timeZone: 'Europe/Paris',
  containedBy: 'isolate',
  people: { facilitators: ['alice'], reviewers: ['bob'], audience: ['all-staff@example.com'] },
  reviewDueMs: 5 * 86_400_000,
  now: '2030-01-01T00:00:00.000Z',
  createdBy: 'system',
};

function runbook(name: string): string {
  return readFileSync(path.join(fixtures, `${name}.yaml`), 'utf8');
}

function save(name: string, state: IncidentState): void {
  if (capture) writeFileSync(path.join(fixtures, `${name}.state.json`), `${JSON.stringify(state, null, 2)}\n`);
}

describe('a post-mortem drafted from a real run', () => {
  it('has the decision, the approval with its voter, the message and the deadline met, with actors and times', async () => {
    const plan = env.compile(runbook('tabletop'));
    const id = await env.trigger(plan, { service: 'checkout', apiToken: 'keys-api' });
    await waitForStep(env.incidents, id, 'aware', 'waiting');
    await env.incidents.recordDecision(id, { actor: alice, decision: 'becameAware' });
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.setFact(id, { actor: bob, name: 'attacker', value: 'a reused API key', confirmed: false });
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 1200 }, dataCategories: { value: ['email', 'name'] } },
    });
    const asked = await waitForStep(env.incidents, id, 'go', 'waiting');
    const textHash = asked.approvals.go?.textHash;
    await env.incidents.vote(id, { actor: carol, step: 'go', vote: 'approve', ...(textHash ? { textHash } : {}) });
    const rendered = await waitForState(env.incidents, id, (s) => s.messages?.tell?.status === 'pending_approval');
    const fingerprint = rendered.messages?.tell?.fingerprint ?? '';
    await env.incidents.vote(id, { actor: carol, step: 'tell', vote: 'approve', textHash: fingerprint });
    const state = await waitForState(env.incidents, id, (s) => s.status !== 'running');
    expect(state.status).toBe('completed');
    save('tabletop', state);

    const draft = draftPostmortem(state, plan, options);
    const { timeline } = draft.facts;
    const at = (type: string) => timeline.find((e) => e.type === type);
    const event = (type: string) => state.timeline.find((e) => e.type === type);

    expect(at('decision.recorded')).toMatchObject({
      actor: 'alice',
      step: 'aware',
      at: event('decision.recorded')?.at,
    });
    expect(at('approval.approved')).toMatchObject({ actor: 'carol', step: 'go', at: event('approval.approved')?.at });
    expect(at('message.voted')).toMatchObject({ actor: 'carol', step: 'tell' });
    expect(at('task.completed')).toMatchObject({ actor: 'bob', step: 'scope' });
    expect(at('deadline.started')).toMatchObject({ actor: 'system', at: event('deadline.started')?.at });
    expect(at('deadline.met')).toMatchObject({ actor: 'system', at: event('deadline.met')?.at });
    // The action that contained it, with its result; bookkeeping left out.
    expect(timeline.filter((e) => e.step === 'isolate').map((e) => e.type)).toEqual(['note', 'step.succeeded']);
    expect(timeline.some((e) => e.type === 'step.started' || e.type === 'message.rendered')).toBe(false);

    const [deadline] = draft.facts.durations.deadlines;
    expect(deadline).toMatchObject({ id: 'customers', status: 'met' });
    expect(deadline?.marginMs).toBeGreaterThan(59 * 60_000);
    expect(draft.facts.messages).toEqual([
      expect.objectContaining({
        step: 'tell',
        channel: 'email',
        recipients: ['customer@example.net'],
        approvedBy: ['carol'],
        fingerprint,
      }),
    ]);
    expect(draft.facts.impact.find((f) => f.name === 'attacker')).toMatchObject({ status: 'suspected', setBy: 'bob' });
    expect(draft.facts.durations.toFirstHumanActionMs).toBe(
      Date.parse(event('decision.recorded')?.at ?? '') - Date.parse(state.startedAt),
    );
    const isolated = state.steps.find((s) => s.id === 'isolate')?.endedAt ?? '';
    expect(draft.facts.durations.toContainmentMs).toBe(Date.parse(isolated) - Date.parse(state.startedAt));
    expect(draft.facts.incident.params).toEqual({ service: 'checkout', apiToken: '[secret]' });
    for (const format of ['md', 'html', 'json'] as const) {
      const text = renderPostmortem(draft, {}, format);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('keys-api');
    }
  });

  it('records a failed compensation of an aborted incident', async () => {
    const plan = env.compile(runbook('aborted'));
    const id = await env.trigger(plan);
    const state = await waitForState(env.incidents, id, (s) => s.status !== 'running');
    expect(state.status).toBe('aborted');
    save('aborted', state);

    const draft = draftPostmortem(state, plan, { ...options, containedBy: 'destroy' });
    expect(draft.outcome).toBe('aborted');
    expect(draft.facts.incident.error?.code).toBe('ABORTED');
    expect(draft.facts.compensations.map((c) => [c.id, c.forStep, c.status])).toEqual([
      ['drop-snapshot', 'snapshot', 'failed'],
      ['reconnect', 'isolate', 'succeeded'],
    ]);
    expect(draft.facts.compensations[0]?.error).toMatch(/NOT_ALLOWED/);
    expect(draft.facts.timeline.map((e) => e.type)).toEqual(
      expect.arrayContaining(['step.failed', 'compensation.failed', 'compensation.succeeded', 'incident.aborted']),
    );
    // The step that would have contained it failed: no time to containment.
    expect(draft.facts.durations.toContainmentMs).toBeUndefined();
  });

  it('drafts a cancelled incident with who cancelled it and why', async () => {
    const plan = env.compile(runbook('cancelled'));
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'triage', 'waiting');
    await env.incidents.cancel(id, { actor: alice, reason: 'a colleague signing in from a new laptop' });
    const state = await waitForState(env.incidents, id, (s) => s.status !== 'running');
    expect(state.status).toBe('cancelled');
    save('cancelled', state);

    const { containedBy: _unused, ...withoutContainment } = options;
    const draft = draftPostmortem(state, plan, withoutContainment);
    expect(draft.outcome).toBe('cancelled');
    expect(draft.facts.timeline.find((e) => e.type === 'incident.cancel_requested')).toMatchObject({ actor: 'alice' });
    expect(draft.facts.durations.toFirstHumanActionMs).toBeGreaterThanOrEqual(0);
  });
});
