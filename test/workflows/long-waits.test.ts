/**
 * Long waits on the time-skipping test server: a two-week wait and a 72-hour regulatory clock with its
 * reminders and overdue event run in seconds, with the same workflow code.
 */
import { createDeclaredSecretResolver, createSecretCatalog } from '../../src/secrets/declared.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { IncidentState } from '../../src/domain/state.js';
import { IncidentClient } from '../../src/incidents/client.js';
import { createActivities } from '../../activities/index.js';
import { createActionRegistry, builtinActions } from '../../src/actions/registry.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { createLogger } from '../../src/logging/logger.js';
import { createEmlFileChannel } from '../../src/channels/eml-file.js';
import { createMessageRouter } from '../../src/channels/router.js';
import { loadTemplateDirs } from '../../src/templating/index.js';
import { eventually } from '../support/poll.js';
import { startTimeSkipping } from '../support/time-skipping.js';
import {
  alice,
  bob,
  carol,
  compileYaml,
  compileYamlWith,
  projectRoot,
  startInput,
  testConfig,
} from '../support/temporal.js';

let testEnv: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let outbox: string;
const taskQueue = 'time-skipping';

beforeAll(async () => {
  testEnv = await startTimeSkipping();
  const config = testConfig('unused');
  outbox = mkdtempSync(path.join(tmpdir(), 'firebreak-outbox-'));
  const activities = createActivities({
    actions: createActionRegistry(builtinActions({ http: config.actions.http, command: config.actions.command })),
    declaredSecrets: createDeclaredSecretResolver(
      createSecretCatalog(),
      createSecretResolver({ env: {}, baseDir: projectRoot }),
    ),
    logger: createLogger({ level: 'error' }),
    messages: createMessageRouter({
      email: createEmlFileChannel({ directory: outbox, from: 'Firebreak <firebreak@example.com>' }),
      webhookEndpoints: {},
    }),
  });
  worker = await Worker.create({
    connection: testEnv.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities,
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await testEnv?.teardown();
  rmSync(outbox, { recursive: true, force: true });
});

describe('long waits', () => {
  it('sleeps two weeks and keeps a 72h clock with reminders at 24h, 48h and 66h', async () => {
    const plan = compileYaml(`
apiVersion: firebreak/v1
id: gdpr-clock
title: GDPR clock
version: 1
severity: sev1
roles:
  commander: {}
deadlines:
  - id: art33
    title: Notify the supervisory authority
    startsAt: decision:becameAware
    within: 72h
    remind: [24h, 48h, 66h]
    remindTo: role:commander
    metBy: step:notify
steps:
  - { id: aware, title: Aware, decision: becameAware, by: role:commander, timeout: 1h, onFailure: continue }
  - { id: settle, title: Let caches expire, wait: 2w }
  - { id: notify, title: Notify, action: timeline.note, with: { text: notified } }
`);
    const incidents = new IncidentClient(testEnv.client, taskQueue);
    const { incidentId } = await incidents.trigger(startInput(plan), 'gdpr-1');
    const handle = testEnv.client.workflow.getHandle(incidentId);
    // Acknowledge awareness as soon as the decision waits (queries do not skip time).
    await eventually(
      async () => {
        const state: IncidentState = await handle.query('state');
        return state.steps.find((s) => s.id === 'aware')?.status === 'waiting' ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'the decision never waited' },
    );
    await incidents.recordDecision(incidentId, { actor: alice, decision: 'becameAware' });
    const started = Date.now();
    const result = await incidents.result(incidentId);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.status).toBe('completed');
    const state: IncidentState = await handle.query('state');
    const deadline = state.deadlines.art33!;
    expect(deadline.status).toBe('met_late');
    expect(Date.parse(deadline.dueAt!) - Date.parse(deadline.startedAt!)).toBe(72 * 3600_000);
    const offsets = state.timeline
      .filter((e) => e.type === 'reminder')
      .map((e) => (e.data as { offset: string }).offset);
    expect(offsets).toEqual(['1d', '2d', '66h']);
    expect(state.timeline.filter((e) => e.type === 'deadline.overdue')).toHaveLength(1);
    const waited =
      Date.parse(state.steps.find((s) => s.id === 'settle')!.endedAt!) -
      Date.parse(state.steps.find((s) => s.id === 'settle')!.startedAt!);
    expect(waited).toBeGreaterThanOrEqual(14 * 86_400_000);
  });

  it('repeats a stakeholder update every 30m, pre-approved after the first, until the named step finishes', async () => {
    const templates = await loadTemplateDirs([path.join(projectRoot, 'test/fixtures/notify-templates')]);
    const plan = compileYamlWith(
      templates,
      `
apiVersion: firebreak/v1
id: repeating-update
title: Repeating update
version: 1
severity: sev1
roles:
  commander: {}
  security: {}
  legal: {}
facts:
  recordsAffected: { type: integer }
  dataCategories: { type: list }
steps:
  - { id: scope, title: Scope, task: Scope it, assignee: role:security, sets: [recordsAffected, dataCategories] }
  - id: update
    title: Stakeholder update
    notify:
      message: breach-notice
      channels: [email]
      to: { email: [stakeholders@example.com] }
      from: role:commander
      approvers: [role:legal]
      requires: [recordsAffected]
      repeat: { every: 30m, until: contain, preApproved: true }
  - { id: contain, title: Contain, wait: 100m }
  - { id: aftermath, title: Aftermath, wait: 2h }
`,
    );
    const incidents = new IncidentClient(testEnv.client, taskQueue);
    const { incidentId } = await incidents.trigger(startInput(plan), 'repeat-1');
    const handle = testEnv.client.workflow.getHandle(incidentId);
    const until = (predicate: (state: IncidentState) => boolean): Promise<IncidentState> =>
      eventually(
        async () => {
          const state: IncidentState = await handle.query('state');
          return predicate(state) ? state : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50, what: 'state never matched' },
      );
    await until((s) => s.steps.find((step) => step.id === 'scope')?.status === 'waiting');
    await incidents.completeTask(incidentId, {
      actor: bob,
      step: 'scope',
      facts: { recordsAffected: { value: 10 }, dataCategories: { value: ['names'] } },
    });
    const pending = await until((s) => s.messages?.update?.status === 'pending_approval');
    const fingerprint = pending.messages!.update!.fingerprint!;
    await incidents.vote(incidentId, { actor: carol, step: 'update', vote: 'approve', textHash: fingerprint });
    const result = await incidents.result(incidentId);
    expect(result.status).toBe('completed');
    const state: IncidentState = await handle.query('state');
    const record = state.messages!.update!;
    // Sent at 0, 30m, 60m and 90m; \`contain\` finished at 100m, so nothing more during the 2h aftermath.
    expect(record.sent.map((sent) => sent.sequence)).toEqual([1, 2, 3, 4]);
    expect(record.sent.slice(1).every((sent) => sent.approvedBy.length === 0)).toBe(true);
    expect(state.timeline.filter((e) => e.type === 'message.repeats_stopped')).toHaveLength(1);
    const files = readdirSync(outbox).filter((name) => name.includes('stakeholders@example.com'));
    expect(files).toHaveLength(4);
  });
});
