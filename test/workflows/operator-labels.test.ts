/**
 * What an operator reads in the Temporal UI after a run: every activity and timer of the incident has a
 * summary naming its step (the two sends of one message name their channel), and a dedup workflow names
 * its key, its runbook and the incident it holds in its search attributes and summary.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedupWorkflowId } from '../../src/incidents/client.js';
import {
  alice,
  bob,
  projectRoot,
  startInput,
  startTestEnv,
  waitForState,
  waitForStep,
  type TestEnv,
} from '../support/temporal.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv({ templates: [path.join(projectRoot, 'test/fixtures/notify-templates')] });
});
afterAll(async () => env?.close());

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Each scheduled activity, started timer and started child of a workflow's history, with its summary. */
async function summaries(workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const labelled = (history.events ?? []).filter(
    (event: HistoryEvent) =>
      event.activityTaskScheduledEventAttributes ??
      event.timerStartedEventAttributes ??
      event.startChildWorkflowExecutionInitiatedEventAttributes,
  );
  return labelled.map((event: HistoryEvent) => {
    const kind = event.activityTaskScheduledEventAttributes
      ? `activity ${event.activityTaskScheduledEventAttributes.activityType?.name ?? ''}`
      : event.timerStartedEventAttributes
        ? 'timer'
        : 'child';
    const payload = event.userMetadata?.summary;
    return `${kind}: ${payload ? defaultPayloadConverter.fromPayload<string>(payload) : '(none)'}`;
  });
}

const head = (id: string) => `
apiVersion: firebreak/v1
id: ${id}
title: Operator labels
version: 3
severity: sev2
roles: { commander: {}, security: {} }
`;

describe('summaries an operator can read', () => {
  it('names every activity and timer of an incident by its step, and each send by its channel', async () => {
    const plan = env.compile(`${head('operator-labels')}
facts:
  recordsAffected: { type: integer }
  dataCategories: { type: list }
steps:
  - { id: scope, title: Scope, task: Scope it, assignee: role:security, sets: [recordsAffected, dataCategories], timeout: 1h }
  - { id: pause, title: Pause, wait: 1s, timeout: 10m }
  - { id: note, title: Note, action: timeline.note, with: { text: noted } }
  - id: tell
    title: Tell
    notify:
      message: breach-notice
      channels: [email, statuspage]
      to: { email: [ops@example.net] }
      from: role:commander
`);
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'scope', 'waiting');
    await env.incidents.completeTask(id, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 5 }, dataCategories: { value: ['names'] } },
    });
    await waitForState(env.incidents, id, (s) => s.status === 'completed');

    const labels = await summaries(id);
    expect(labels).not.toContainEqual(expect.stringContaining('(none)'));
    expect(labels).toEqual(
      expect.arrayContaining([
        'timer: scope: timeout',
        'timer: pause: wait 1s',
        'timer: pause: timeout after 10m',
        'activity runAction: note: timeline.note',
        'activity renderMessage: tell: render breach-notice',
        'activity sendMessage: tell: send breach-notice #1 via email',
        'activity sendMessage: tell: send breach-notice #1 via statuspage',
      ]),
    );
  });

  it('gives a dedup workflow its key, runbook and incident as search attributes, and a summary', async () => {
    const plan = env.compile(`${head('dedup-labels')}
steps:
  - { id: hold, title: Hold, task: Hold the incident open, assignee: role:commander }
`);
    const key = `labels-${Date.now()}`;
    const { incidentId } = await env.incidents.trigger(startInput(plan, {}, { dedupKey: key }));
    await waitForStep(env.incidents, incidentId, 'hold', 'waiting');
    const dedup = env.client.workflow.getHandle(dedupWorkflowId(key));
    const described = await dedup.describe();
    expect(described.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value])).toEqual(
      expect.arrayContaining([
        ['FirebreakDedupKey', key],
        ['FirebreakIncident', incidentId],
        ['FirebreakRunbook', 'dedup-labels'],
      ]),
    );
    expect(await described.staticSummary()).toBe('Dedup of dedup-labels triggers: one open incident per key');
    expect(await described.staticDetails()).toContain(`Dedup key: ${key}`);
    expect(await summaries(dedupWorkflowId(key))).toEqual(['child: Operator labels (dedup-labels v3)']);
    // The incident it started is upserted too, so a later incident of the same run replaces it.
    const history = await dedup.fetchHistory();
    expect(
      (history.events ?? []).some(
        (event) =>
          event.upsertWorkflowSearchAttributesEventAttributes !== undefined &&
          event.upsertWorkflowSearchAttributesEventAttributes !== null,
      ),
    ).toBe(true);
    await env.incidents.completeTask(incidentId, { actor: alice, step: 'hold' });
    await env.incidents.result(incidentId);
  });
});
