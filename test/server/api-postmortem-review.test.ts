/**
 * A post-mortem's review through the API against the real dev server, with a PGlite store shared by the
 * API and the worker and a real SMTP server: publishing sends the summary (the sections as written, the
 * action items) to the audience from the post-mortem's workflow, a reopen and a second publication send an
 * "updated" one; the draft route starts the workflow of a post-mortem drafted by hand; `PATCH` sets the
 * review date (who may, what is refused) and the views carry the overdue mark and filter on it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postmortemWorkflowId } from '../../src/domain/postmortem.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  type LazyPostmortemStore,
  type Postmortem,
  type PostmortemStore,
} from '../../src/postmortems/store/index.js';
import { postmortemProgressQuery } from '../../workflows/postmortem-definitions.js';
import { eventually } from '../support/poll.js';
import type { TestSmtpServer } from '../support/smtp-server.js';
import { waitForState } from '../support/temporal.js';
import { startApiTest, type ApiTest, type ApiUser } from './support.js';

const suffix = randomBytes(3).toString('hex');
const stepId = `pm-review-step-${suffix}`;
const plainId = `pm-review-plain-${suffix}`;

const runbook = (id: string, steps: string) => `
apiVersion: firebreak/v1
id: ${id}
title: Leaked deploy key
version: 1
severity: sev3
roles:
  commander: {}
  security: {}
  legal: {}
steps:
${steps}`;

let dir: string;
let lazy: LazyPostmortemStore;
let store: PostmortemStore;
let t: ApiTest & { smtp: TestSmtpServer };
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-pm-review-api-'));
  lazy = lazyPostmortemStore(() => openPgliteStore(path.join(dir, 'postmortems')));
  t = await startApiTest({
    yaml: [
      runbook(
        stepId,
        `  - id: review
    title: Post-mortem
    postmortem: { facilitator: role:commander, reviewers: [role:security], audience: [role:legal], due: 5d }
`,
      ),
      runbook(plainId, '  - { id: note, title: Note, action: timeline.note, with: { text: noted } }\n'),
    ],
    smtp: true,
    postmortems: lazy,
  });
  store = await lazy.get();
});
afterAll(async () => {
  await t?.close();
  await lazy?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = (as: ApiUser, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) =>
  t.api.call(as, { method, url: `/api/v1${url}`, ...(payload ? { payload } : {}) });

/** The mails that arrive from `from` on, once there are `count`, parsed. */
async function mails(from: number, count: number) {
  await eventually(() => (t.smtp.messages.length - from >= count ? true : undefined), {
    what: `${count} mails`,
    timeoutMs: 30_000,
  });
  return Promise.all(
    t.smtp.messages.slice(from).map(async (mail) => {
      const parsed = await PostalMime.parse(mail.raw);
      return { to: mail.recipient, subject: parsed.subject ?? '', text: parsed.text ?? '' };
    }),
  );
}

async function move(as: ApiUser, id: string, from: string, to: string, reason?: string) {
  const response = await call(as, 'POST', `/postmortems/${id}/status`, { from, to, ...(reason ? { reason } : {}) });
  expect(response.statusCode, response.body).toBe(200);
}

/** The incident's post-mortem once its closing run drafted it. */
async function closedWithPostmortem(runbookId: string): Promise<Postmortem> {
  const incidentId = await t.api.trigger('alice', runbookId);
  await waitForState(t.env.incidents, incidentId, (s) => s.status === 'completed');
  return eventually(() => store.getByIncident(incidentId), { what: `the post-mortem of ${incidentId}` });
}

describe('the published summary', () => {
  it('goes to the audience with the sections as written, once per publication; a second one says updated', async () => {
    const postmortem = await closedWithPostmortem(stepId);
    expect(postmortem.people.audience).toEqual(['carol']);
    const summary = 'A deploy key leaked in a public gist; the scanner caught it in 4 minutes.';
    const lessons = 'Keys in CI need an owner.\nRotation must be one command.';
    for (const [section, text] of [
      ['summary', summary],
      ['lessons', lessons],
    ] as const) {
      const edited = await call('alice', 'PUT', `/postmortems/${postmortem.id}/sections/${section}`, {
        text,
        baseRevision: 0,
      });
      expect(edited.statusCode, edited.body).toBe(200);
    }
    const item = await call('alice', 'POST', `/postmortems/${postmortem.id}/action-items`, {
      title: 'Rotate deploy keys nightly',
      owner: 'bob',
      dueAt: '2027-01-15T17:00:00Z',
    });
    expect([200, 201], item.body).toContain(item.statusCode);

    const before = t.smtp.messages.length;
    await move('alice', postmortem.id, 'draft', 'in-review');
    await move('bob', postmortem.id, 'in-review', 'published');
    const [mail, ...others] = await mails(before, 1);
    expect(others).toEqual([]);
    expect(mail).toMatchObject({ to: 'carol@example.com', subject: 'Post-mortem published: Leaked deploy key' });
    expect(mail?.text).toContain(`was published by bob on`);
    expect(mail?.text).toContain('Severity sev3, runbook ' + stepId + ', completed.');
    expect(mail?.text).toContain(summary);
    expect(mail?.text).toContain('Keys in CI need an owner.\nRotation must be one command.');
    expect(mail?.text).toContain('- Rotate deploy keys nightly (owner bob, open, due 15 January 2027)');
    // The workflow has sent it and ended: nothing more arrives.
    const handle = t.env.client.workflow.getHandle(postmortemWorkflowId(postmortem.incidentId));
    expect(await handle.result()).toMatchObject({ review: { ended: 'published', publication: 3, sent: 1 } });
    expect(t.smtp.messages.length - before).toBe(1);

    // Reopened: a new workflow follows it; published again, the audience gets the updated version.
    await move('alice', postmortem.id, 'published', 'draft', 'the timeline missed the second key');
    await eventually(async () => ((await handle.describe()).status.name === 'RUNNING' ? true : undefined), {
      what: 'the review workflow started again',
    });
    const revised = `${summary} A second key leaked too.`;
    const edited = await call('alice', 'PUT', `/postmortems/${postmortem.id}/sections/summary`, {
      text: revised,
      baseRevision: 1,
    });
    expect(edited.statusCode, edited.body).toBe(200);
    const again = t.smtp.messages.length;
    await move('alice', postmortem.id, 'draft', 'in-review');
    await move('alice', postmortem.id, 'in-review', 'published');
    const [updated, ...more] = await mails(again, 1);
    expect(more).toEqual([]);
    expect(updated).toMatchObject({ to: 'carol@example.com', subject: 'Post-mortem updated: Leaked deploy key' });
    expect(updated?.text).toContain('was reopened and published again by alice');
    expect(updated?.text).toContain('A second key leaked too.');
    expect(await handle.result()).toMatchObject({ review: { ended: 'published', publication: 6, sent: 1 } });
  });
});

describe('the review workflow and its due date', () => {
  it('is started by the draft route for a post-mortem drafted by hand', async () => {
    const incidentId = await t.api.trigger('alice', plainId);
    await waitForState(t.env.incidents, incidentId, (s) => s.status === 'completed');
    const handle = t.env.client.workflow.getHandle(postmortemWorkflowId(incidentId));
    // A sev3 without a postmortem step needs none: its close started no workflow.
    await expect(handle.describe()).rejects.toThrow();
    const drafted = await call('alice', 'POST', `/incidents/${incidentId}/postmortem`, {});
    expect(drafted.statusCode, drafted.body).toBe(201);
    const postmortemId = drafted.json<{ id: string }>().id;
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const progress = await eventually(async () => (await handle.query(postmortemProgressQuery)).draft, {
      what: 'the workflow read the draft',
    });
    expect(progress).toEqual({ postmortemId, created: false, reason: 'existing' });
  });

  it('sets the review date for its editors, refuses a past date, outsiders and a published one', async () => {
    const postmortem = await closedWithPostmortem(stepId);
    const due = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const set = await call('bob', 'PATCH', `/postmortems/${postmortem.id}`, { reviewDueAt: due });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ postmortem: { reviewDueAt: due, reviewOverdue: false } });
    expect((await store.getPostmortem(postmortem.id))?.reviewDueAt).toBe(due);

    const past = await call('alice', 'PATCH', `/postmortems/${postmortem.id}`, { reviewDueAt: '2020-01-01T00:00:00Z' });
    expect(past.statusCode).toBe(400);
    expect(past.json()).toMatchObject({ error: { issues: [{ path: 'reviewDueAt' }] } });
    const bad = await call('alice', 'PATCH', `/postmortems/${postmortem.id}`, { reviewDueAt: 'next week' });
    expect(bad.statusCode).toBe(400);
    const extra = await call('alice', 'PATCH', `/postmortems/${postmortem.id}`, { reviewDueAt: due, title: 'x' });
    expect(extra.statusCode).toBe(400);
    // carol reads it (legal) but has no part in it; mallory does not read it at all.
    expect((await call('carol', 'PATCH', `/postmortems/${postmortem.id}`, { reviewDueAt: due })).statusCode).toBe(403);
    expect((await call('mallory', 'PATCH', `/postmortems/${postmortem.id}`, { reviewDueAt: due })).statusCode).toBe(
      404,
    );
    expect((await store.getPostmortem(postmortem.id))?.reviewDueAt).toBe(due);
    const audited = t.api.audit.entries.find(
      (entry) => entry.method === 'PATCH' && entry.postmortemId === postmortem.id && entry.user === 'bob',
    );
    expect(audited).toMatchObject({
      status: 200,
      incidentId: postmortem.incidentId,
      changes: { reviewDueAt: { from: postmortem.reviewDueAt, to: due } },
    });

    const cleared = await call('alice', 'PATCH', `/postmortems/${postmortem.id}`, { reviewDueAt: null });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json<{ postmortem: object }>().postmortem).not.toHaveProperty('reviewDueAt');

    await move('alice', postmortem.id, 'draft', 'in-review');
    await move('alice', postmortem.id, 'in-review', 'published');
    const published = await call('alice', 'PATCH', `/postmortems/${postmortem.id}`, { reviewDueAt: due });
    expect(published.statusCode).toBe(409);
    expect(published.json()).toMatchObject({ error: { code: 'CONFLICT' } });
  });

  it('marks a review overdue in the list and the post-mortem, and filters on it', async () => {
    const late = await closedWithPostmortem(stepId);
    const onTime = await closedWithPostmortem(stepId);
    await store.setReviewDue(late.id, '2026-01-01T00:00:00Z', { actor: 'alice', at: new Date().toISOString() });
    const one = await call('alice', 'GET', `/postmortems/${late.id}`);
    expect(one.json()).toMatchObject({ postmortem: { id: late.id, reviewOverdue: true } });
    expect((await call('alice', 'GET', `/postmortems/${onTime.id}`)).json()).toMatchObject({
      postmortem: { reviewOverdue: false },
    });
    const list = await call('alice', 'GET', `/postmortems?runbook=${stepId}&limit=100`);
    const marks = new Map(
      list
        .json<{ postmortems: { id: string; reviewOverdue: boolean }[] }>()
        .postmortems.map((p) => [p.id, p.reviewOverdue]),
    );
    expect(marks.get(late.id)).toBe(true);
    expect(marks.get(onTime.id)).toBe(false);
    const overdue = await call('alice', 'GET', `/postmortems?runbook=${stepId}&overdue=true`);
    expect(overdue.json<{ postmortems: { id: string }[] }>().postmortems.map((p) => p.id)).toEqual([late.id]);
  });
});
