/**
 * `POST /incidents/{id}/postmortem` against the real dev server, with a PGlite store shared by the API and
 * the worker (as `firebreak dev` shares one): 409 while the incident runs; 404 for someone who may not read
 * it (audited as denied); 403 for a reader outside the commander and facilitator roles; 201 with the
 * summary for the commander, 200 with the same post-mortem after that, for an `access.admin` holder too;
 * the facilitator of the runbook's `postmortem` step gets the draft the close made. Every call audited.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyPostmortemStore, openPgliteStore, type LazyPostmortemStore } from '../../src/postmortems/store/index.js';
import { waitForState, waitForStep } from '../support/temporal.js';
import { startApiTest, type ApiTest } from './support.js';

const suffix = randomBytes(3).toString('hex');
const plainId = `pm-api-plain-${suffix}`;
const stepId = `pm-api-step-${suffix}`;

const runbook = (id: string, steps: string) => `
apiVersion: firebreak/v1
id: ${id}
title: Suspicious login
version: 1
severity: sev4
roles:
  commander: {}
  security: {}
  legal: {}
steps:
${steps}`;

let dir: string;
let store: LazyPostmortemStore;
let t: ApiTest;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-pm-api-'));
  store = lazyPostmortemStore(() => openPgliteStore(path.join(dir, 'postmortems')));
  t = await startApiTest({
    yaml: [
      runbook(plainId, '  - { id: triage, title: Triage, task: Look at the logs, assignee: role:security }\n'),
      runbook(stepId, '  - { id: review, title: Post-mortem, postmortem: { facilitator: role:security } }\n'),
    ],
    access: { trigger: {}, admin: ['auditor'] },
    postmortems: store,
  });
});
afterAll(async () => {
  await t?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const draft = (as: Parameters<ApiTest['api']['call']>[0], incidentId: string) =>
  t.api.call(as, { method: 'POST', url: `/api/v1/incidents/${incidentId}/postmortem` });

describe('POST /incidents/{id}/postmortem', () => {
  it('drafts for the commander (201), then answers with the same post-mortem (200); refuses others', async () => {
    const id = await t.api.trigger('alice', plainId);
    await waitForStep(t.env.incidents, id, 'triage', 'waiting');
    const running = await draft('alice', id);
    expect(running.statusCode).toBe(409);
    expect(running.json()).toMatchObject({ error: { code: 'CONFLICT' } });
    await t.env.incidents.completeTask(id, { actor: { id: 'bob', email: 'bob@example.com' }, step: 'triage' });
    await waitForState(t.env.incidents, id, (s) => s.status === 'completed');

    // mallory may not read it: told there is no such incident, like an unknown id.
    const hidden = await draft('mallory', id);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json()).toMatchObject({ error: { code: 'NOT_FOUND', message: `no incident ${id}` } });
    expect((await draft('mallory', `it-none-${suffix}`)).statusCode).toBe(404);
    // carol reads it (legal) but neither commands it nor facilitates its post-mortem.
    const refused = await draft('carol', id);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(refused.json<{ error: { message: string } }>().error.message).toContain('role:commander');
    expect(await (await store.get()).getByIncident(id)).toBeUndefined();

    const created = await draft('alice', id);
    expect(created.statusCode).toBe(201);
    const body = created.json<{ id: string }>();
    expect(body).toMatchObject({
      incidentId: id,
      runbookId: plainId,
      severity: 'sev4',
      status: 'draft',
      outcome: 'completed',
      people: { facilitators: ['alice'], reviewers: [], audience: [] },
      createdBy: 'alice',
    });
    expect(body).not.toHaveProperty('facts');
    const again = await draft('alice', id);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(body);
    // dana holds `auditor`, an `access.admin` role: she may, and gets the same one.
    const admin = await draft('dana', id);
    expect(admin.statusCode).toBe(200);
    expect(admin.json()).toEqual(body);

    const audited = t.api.audit.entries
      .filter((entry) => entry.incidentId === id && entry.path.endsWith('/postmortem'))
      .map((entry) => [entry.user, entry.status, entry.outcome, entry.denied ?? false]);
    expect(audited).toEqual([
      ['alice', 409, 'refused', false],
      ['mallory', 404, 'refused', true],
      ['carol', 403, 'refused', false],
      ['alice', 201, 'ok', false],
      ['alice', 200, 'ok', false],
      ['dana', 200, 'ok', false],
    ]);
  });

  it("lets the postmortem step's facilitator role ask, and returns the draft the close made", async () => {
    const id = await t.api.trigger('alice', stepId);
    await waitForState(t.env.incidents, id, (s) => s.status === 'completed');
    const pm = await draftedEventually(id);
    const response = await draft('bob', id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: pm, createdBy: 'system', people: { facilitators: ['bob'] } });
  });
});

async function draftedEventually(incidentId: string): Promise<string> {
  const stored = await (await store.get()).getByIncident(incidentId);
  if (stored !== undefined) return stored.id;
  await new Promise((resolve) => setTimeout(resolve, 100));
  return draftedEventually(incidentId);
}
