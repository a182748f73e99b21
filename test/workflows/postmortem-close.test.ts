/**
 * Post-mortems drafted when incidents close, against the real dev server: the closing incident starts
 * `postmortem:<incident>`, whose activity drafts from the run's start input and final state into a PGlite
 * store in a temp dir wired into the worker. A runbook's `postmortem` step, a severity in `requiredFor`, a
 * run cancelled before its step: drafted; a sev4 without a step: not; drafting again: the same one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postmortemWorkflowId } from '../../src/domain/postmortem.js';
import { draftFromIncident } from '../../src/postmortems/from-incident.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  type LazyPostmortemStore,
  type Postmortem,
  type PostmortemStore,
} from '../../src/postmortems/store/index.js';
import { eventually } from '../support/poll.js';
import { alice, bob, projectRoot, startTestEnv, waitForState, waitForStep, type TestEnv } from '../support/temporal.js';

let env: TestEnv;
let dir: string;
let lazy: LazyPostmortemStore;
let store: PostmortemStore;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-pm-close-'));
  lazy = lazyPostmortemStore(() => openPgliteStore(path.join(dir, 'postmortems')));
  env = await startTestEnv({
    configure: (config) => ({
      ...config,
      postmortems: { requiredFor: ['sev1'], timeZone: 'Europe/Paris', blamelessWords: [] },
    }),
    postmortems: lazy,
  });
  store = await lazy.get();
});
afterAll(async () => {
  await env?.close();
  await lazy?.close();
  rmSync(dir, { recursive: true, force: true });
});

const head = (id: string, severity: string) => `
apiVersion: firebreak/v1
id: ${id}
title: ${id}
version: 1
severity: ${severity}
roles:
  commander: {}
  security: {}
  legal: {}
`;

function drafted(incidentId: string): Promise<Postmortem> {
  return eventually(() => store.getByIncident(incidentId), { what: `a post-mortem of ${incidentId}` });
}

/** Waits for the incident's run to close (it has then started its post-mortem workflow, if any). */
async function closed(incidentId: string): Promise<void> {
  await env.client.workflow
    .getHandle(incidentId)
    .result()
    .catch(() => undefined);
}

/** The post-mortem workflow's result, once it has finished. */
async function draftRun(incidentId: string): Promise<unknown> {
  await closed(incidentId);
  return env.client.workflow.getHandle(postmortemWorkflowId(incidentId)).result();
}

const deps = () => ({ temporal: env.client, store, postmortems: { requiredFor: ['sev1' as const], timeZone: 'UTC' } });

describe('post-mortems drafted when an incident closes', () => {
  it('drafts the post-mortem of a completed run with a postmortem step, with its people and timeline', async () => {
    const plan = env.compile(`${head('pm-close-step', 'sev3')}
steps:
  - { id: isolate, title: Isolate, action: timeline.note, with: { text: isolated } }
  - id: review
    title: Open the post-mortem
    postmortem:
      facilitator: role:commander
      reviewers: [role:security]
      audience: [role:legal]
      due: 5d
      containedBy: step:isolate
      tags: [network]
  - { id: confirm, title: Confirm clean, task: Confirm the host is clean, assignee: role:security }
`);
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'confirm', 'waiting');
    // Still running: nothing drafted, and the manual path says why.
    await expect(draftFromIncident(id, deps(), { actor: 'alice', force: true })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await env.incidents.completeTask(id, { actor: bob, step: 'confirm' });
    const state = await waitForState(env.incidents, id, (s) => s.status === 'completed');

    expect(await draftRun(id)).toMatchObject({ incidentId: id, created: true, reason: 'step' });
    const postmortem = await drafted(id);
    expect(postmortem).toMatchObject({
      incidentId: id,
      runbookId: 'pm-close-step',
      severity: 'sev3',
      status: 'draft',
      outcome: 'completed',
      people: { facilitators: ['alice', 'erin'], reviewers: ['bob', 'erin', 'frank'], audience: ['carol'] },
      tags: ['network'],
      createdBy: 'system',
    });
    expect(Date.parse(postmortem.reviewDueAt ?? '') - Date.parse(postmortem.createdAt)).toBe(5 * 86_400_000);
    expect(postmortem.facts.timeZone).toBe('Europe/Paris');
    expect(postmortem.facts.durations.toContainmentMs).toBeGreaterThanOrEqual(0);
    const timeline = postmortem.facts.timeline.map((event) => [event.type, event.actor, event.step ?? null]);
    expect(timeline).toEqual(
      expect.arrayContaining([
        ['incident.started', 'alice', null],
        ['step.succeeded', 'system', 'isolate'],
        ['task.completed', 'bob', 'confirm'],
        ['incident.completed', 'system', null],
      ]),
    );
    expect(postmortem.facts.incident.endedAt).toBe(state.endedAt);
  });

  it('drafts a sev1 incident without a step (its commanders facilitate), and not a sev4 one', async () => {
    const steps = `
steps:
  - { id: note, title: Note, action: timeline.note, with: { text: noted } }
`;
    const sev1 = await env.trigger(env.compile(`${head('pm-close-sev1', 'sev1')}${steps}`));
    const sev4 = await env.trigger(env.compile(`${head('pm-close-sev4', 'sev4')}${steps}`));
    expect(await draftRun(sev1)).toMatchObject({ created: true, reason: 'severity' });
    expect(await drafted(sev1)).toMatchObject({
      severity: 'sev1',
      people: { facilitators: ['alice', 'erin'], reviewers: [], audience: [] },
      tags: [],
    });

    // The sev4 run has closed: no post-mortem workflow was started, nothing stored.
    await closed(sev4);
    await expect(env.client.workflow.getHandle(postmortemWorkflowId(sev4)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    expect(await store.getByIncident(sev4)).toBeUndefined();
    // The manual path drafts one anyway, attributed to whoever asked.
    const forced = await draftFromIncident(sev4, deps(), { actor: 'bob', force: true });
    expect(forced).toMatchObject({ created: true, reason: 'forced', postmortem: { createdBy: 'bob' } });
    expect(await draftFromIncident(sev4, deps(), { actor: 'bob' })).toMatchObject({
      created: false,
      reason: 'existing',
    });
  });

  it('records the failed compensation of an aborted incident', async () => {
    const plan = env.compile(readFileSync(path.join(projectRoot, 'test/fixtures/postmortem/aborted.yaml'), 'utf8'));
    const id = await env.trigger(plan, {}, { severity: 'sev1' });
    await waitForState(env.incidents, id, (s) => s.status === 'aborted');
    const postmortem = await drafted(id);
    expect(postmortem.outcome).toBe('aborted');
    expect(postmortem.facts.incident.error?.code).toBe('ABORTED');
    expect(postmortem.facts.compensations.map((c) => [c.id, c.forStep, c.status])).toEqual([
      ['drop-snapshot', 'snapshot', 'failed'],
      ['reconnect', 'isolate', 'succeeded'],
    ]);
    expect(postmortem.facts.timeline.map((e) => e.type)).toEqual(
      expect.arrayContaining(['compensation.failed', 'incident.aborted']),
    );
  });

  it('drafts a run cancelled before its postmortem step, with the people that step names', async () => {
    const plan = env.compile(`${head('pm-close-cancel', 'sev4')}
steps:
  - { id: triage, title: Triage, task: Look at the logs, assignee: role:security }
  - { id: review, title: Post-mortem, postmortem: { facilitator: role:security, audience: [role:legal] } }
`);
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'triage', 'waiting');
    await env.incidents.cancel(id, { actor: alice, reason: 'a drill, not an incident' });
    expect(await draftRun(id)).toMatchObject({ created: true, reason: 'plan-step' });
    expect(await drafted(id)).toMatchObject({
      outcome: 'cancelled',
      people: { facilitators: ['bob', 'erin', 'frank'], reviewers: [], audience: ['carol'] },
    });
  });

  it('drafts once: a second post-mortem workflow and the manual path find the first', async () => {
    const plan = env.compile(`${head('pm-close-twice', 'sev1')}
steps:
  - { id: note, title: Note, action: timeline.note, with: { text: noted } }
`);
    const id = await env.trigger(plan);
    const first = await drafted(id);
    await draftRun(id);
    const again: unknown = await env.client.workflow.execute('postmortemWorkflow', {
      workflowId: postmortemWorkflowId(id),
      taskQueue: env.taskQueue,
      args: [{ incidentId: id }],
    });
    expect(again).toEqual({ incidentId: id, postmortemId: first.id, created: false, reason: 'existing' });
    const manual = await draftFromIncident(id, deps(), { actor: 'alice', force: true });
    expect(manual).toMatchObject({ created: false, postmortem: { id: first.id, createdBy: 'system' } });
    const all = await store.listPostmortems({ runbook: 'pm-close-twice' });
    expect(all.items.map((p) => p.id)).toEqual([first.id]);
  });

  it('drafts an incident Temporal terminated as failed, by hand: its run ran no code at the end', async () => {
    const plan = env.compile(`${head('pm-close-terminated', 'sev1')}
steps:
  - { id: hold, title: Hold, task: Wait, assignee: role:commander }
`);
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'hold', 'waiting');
    await expect(draftFromIncident(id, deps(), { actor: 'alice' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await env.client.workflow.getHandle(id).terminate('stuck');
    await closed(id);
    // Nothing started the post-mortem workflow: the run ran no code as it was terminated.
    await expect(env.client.workflow.getHandle(postmortemWorkflowId(id)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    const { postmortem, created, reason } = await draftFromIncident(id, deps(), { actor: 'alice' });
    expect({ created, reason }).toEqual({ created: true, reason: 'severity' });
    expect(postmortem).toMatchObject({ outcome: 'failed', facts: { incident: { outcome: 'failed' } } });
    expect(postmortem?.facts.incident.error).toMatchObject({ code: 'TERMINATED' });
    expect(postmortem?.facts.incident.error?.message).toContain('terminated in Temporal');
    expect(Date.parse(postmortem?.endedAt ?? '')).toBeGreaterThan(Date.parse(postmortem?.startedAt ?? ''));
  });

  it('refuses an id that is not an incident', async () => {
    await expect(draftFromIncident('no-such-incident', deps(), { actor: 'alice' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
