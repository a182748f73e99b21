/**
 * Action items through the API, against the real dev server and an in-memory PGlite store seeded with a
 * draft of a triggered incident: who may read, add and change items (the owner in person or through its
 * role, the post-mortem's people, nobody else), compare-and-set on `version`, won't-do reasons, the owner
 * and overdue filters, and `done` starting the verification runbook as a real incident by the caller.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyPostmortemStore, openPgliteStore, type PostmortemStore } from '../../src/postmortems/store/index.js';
import { seedPostmortem } from '../unit/postmortems/fixtures.js';
import { startApiTest, type ApiTest, type ApiUser } from './support.js';

const suffix = randomBytes(3).toString('hex');
const runbookId = `ai-api-${suffix}`;
const verifyId = `ai-verify-${suffix}`;

// alice (commander) facilitates, bob (security) reviews, carol (legal) reads the incident; mallory reads nothing.
const runbook = `
apiVersion: firebreak/v1
id: ${runbookId}
title: Leaked key
version: 1
severity: sev2
roles:
  commander: {}
  security: {}
  legal: {}
steps:
  - { id: hold, title: Hold, task: Wait, assignee: role:commander }
`;
const verifyRunbook = `
apiVersion: firebreak/v1
id: ${verifyId}
title: Key rotation drill
version: 1
severity: sev4
params:
  host: { type: string, required: true, description: The host }
roles:
  commander: {}
  legal: {}
steps:
  - id: check
    title: Check
    task: Check \${{ params.host }}
    assignee: role:commander
`;

let test: ApiTest;
let store: PostmortemStore;
let pm: string;

interface Item {
  id: string;
  owner: string;
  status: string;
  statusReason?: string;
  version: number;
  title: string;
  runs: { incidentId: string; result: string }[];
}

beforeAll(async () => {
  store = await openPgliteStore('memory');
  test = await startApiTest({
    yaml: [runbook, verifyRunbook],
    postmortems: lazyPostmortemStore(() => Promise.resolve(store)),
    postmortemsConfig: { requiredFor: ['sev1'], timeZone: 'UTC', blamelessWords: [] },
    // bob (security) may not trigger the verification drill; carol (legal) may.
    access: { trigger: { [verifyId]: ['legal', 'commander'] } },
  });
  const incidentId = await test.api.trigger('alice', runbookId);
  pm = await seedPostmortem(store, {
    incidentId,
    runbookId,
    title: 'Leaked deploy key',
    people: { facilitators: ['alice'], reviewers: ['bob'], audience: [] },
  });
});

afterAll(async () => {
  await test?.close();
  await store?.close();
});

const call = (as: ApiUser, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  test.api.call(as, { method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload }) });
async function add(body: object, as: ApiUser = 'alice'): Promise<Item> {
  const response = await call(as, 'POST', `/postmortems/${pm}/action-items`, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ item: Item }>().item;
}
const issuePaths = (body: string) =>
  (JSON.parse(body) as { error: { issues?: { path: string }[] } }).error.issues?.map((i) => i.path) ?? [];

describe('who may do what', () => {
  it('lets the post-mortem’s people add items and refuses readers (403) and strangers (404)', async () => {
    const item = await add({ title: 'Rotate keys', owner: 'bob', priority: 'p1' });
    expect(item).toMatchObject({ owner: 'bob', status: 'open', version: 1, runs: [] });
    expect(
      (await call('carol', 'POST', `/postmortems/${pm}/action-items`, { title: 'x', owner: 'bob' })).statusCode,
    ).toBe(403);
    const stranger = await call('mallory', 'POST', `/postmortems/${pm}/action-items`, { title: 'x', owner: 'bob' });
    expect(stranger.statusCode).toBe(404);
    expect(await store.listActionItems({ postmortemId: pm })).toMatchObject({ items: [{ id: item.id }] });
  });

  it('answers 404 for an item of a post-mortem the caller may not read, word for word as for an unknown id', async () => {
    const item = await add({ title: 'Audit access', owner: 'bob' });
    const refused = await call('mallory', 'GET', `/action-items/${item.id}`);
    const unknown = await call('mallory', 'GET', `/action-items/no-such-${suffix}`);
    expect(refused.statusCode).toBe(404);
    expect(refused.body.replace(item.id, 'ID')).toBe(unknown.body.replace(`no-such-${suffix}`, 'ID'));
    for (const [method, path, body] of [
      ['PATCH', '', { baseVersion: 1, title: 'mine now' }],
      ['POST', '/done', { baseVersion: 1 }],
      ['POST', '/wontdo', { baseVersion: 1, reason: 'no' }],
    ] as const) {
      expect((await call('mallory', method, `/action-items/${item.id}${path}`, body)).statusCode).toBe(404);
    }
    expect((await store.getActionItem(item.id))?.version).toBe(1);
    const audited = test.api.audit.entries.find(
      (e) => e.user === 'mallory' && e.path === `/api/v1/action-items/${item.id}`,
    );
    expect(audited).toMatchObject({ status: 404, denied: true, actionItemId: item.id, postmortemId: pm });
    expect((await call('carol', 'GET', `/action-items/${item.id}`)).statusCode).toBe(200);
  });

  it('lets the owner through its role change an item, and refuses a reader who is not the owner', async () => {
    const item = await add({ title: 'Write the legal checklist', owner: 'role:legal' });
    const changed = await call('carol', 'PATCH', `/action-items/${item.id}`, { baseVersion: 1, status: 'in-progress' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json<{ item: Item }>().item).toMatchObject({ status: 'in-progress', version: 2 });
    const other = await add({ title: 'Bob’s', owner: 'bob' });
    const refused = await call('carol', 'PATCH', `/action-items/${other.id}`, { baseVersion: 1, title: 'carol’s' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ error: { message: string } }>().error.message).toContain('its owner (bob)');
  });

  it('refuses an owner nobody is and a verification the runbook would refuse, naming the field, adding nothing', async () => {
    const before = (await store.listActionItems({ postmortemId: pm, limit: 500 })).items.length;
    const nobody = await call('alice', 'POST', `/postmortems/${pm}/action-items`, { title: 'x', owner: 'zed' });
    expect(nobody.statusCode).toBe(400);
    expect(issuePaths(nobody.body)).toEqual(['owner']);
    const noRole = await call('alice', 'POST', `/postmortems/${pm}/action-items`, { title: 'x', owner: 'role:ghosts' });
    expect(issuePaths(noRole.body)).toEqual(['owner']);
    const badVerify = await call('alice', 'POST', `/postmortems/${pm}/action-items`, {
      title: 'x',
      owner: 'bob',
      verify: { runbook: verifyId, params: {} },
    });
    expect(badVerify.statusCode).toBe(400);
    expect(issuePaths(badVerify.body)).toEqual(['verify.params.host']);
    const unknownRunbook = await call('alice', 'POST', `/postmortems/${pm}/action-items`, {
      title: 'x',
      owner: 'bob',
      verify: { runbook: 'no-such-runbook', params: {} },
    });
    expect(issuePaths(unknownRunbook.body)).toEqual(['verify.runbook']);
    const tooLong = await call('alice', 'POST', `/postmortems/${pm}/action-items`, {
      title: 'x'.repeat(301),
      owner: 'bob',
    });
    expect(issuePaths(tooLong.body)).toEqual(['title']);
    expect((await store.listActionItems({ postmortemId: pm, limit: 500 })).items.length).toBe(before);
  });
});

describe('changing items', () => {
  it('refuses a stale version with 409 carrying the current item, and changes nothing', async () => {
    const item = await add({ title: 'Pin the deploy key', owner: 'bob' });
    expect(
      (await call('bob', 'PATCH', `/action-items/${item.id}`, { baseVersion: 1, title: 'Pin it' })).statusCode,
    ).toBe(200);
    const stale = await call('alice', 'PATCH', `/action-items/${item.id}`, { baseVersion: 1, priority: 'p1' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json<{ error: { details: { item: Item } } }>().error.details.item).toMatchObject({
      title: 'Pin it',
      version: 2,
    });
    expect((await call('alice', 'POST', `/action-items/${item.id}/done`, { baseVersion: 1 })).statusCode).toBe(409);
    expect((await call('alice', 'PATCH', `/action-items/${item.id}`, { baseVersion: 2 })).statusCode).toBe(400);
    expect(await store.getActionItem(item.id)).toMatchObject({ version: 2, status: 'open', priority: 'p3' });
  });

  it("needs a reason for won't-do, and closes the item with it", async () => {
    const item = await add({ title: 'Rewrite the deployer', owner: 'bob' });
    const bare = await call('bob', 'POST', `/action-items/${item.id}/wontdo`, { baseVersion: 1 });
    expect(bare.statusCode).toBe(400);
    expect(issuePaths(bare.body)).toEqual(['reason']);
    expect(
      (await call('bob', 'POST', `/action-items/${item.id}/wontdo`, { baseVersion: 1, reason: '  ' })).statusCode,
    ).toBe(400);
    const closed = await call('bob', 'POST', `/action-items/${item.id}/wontdo`, {
      baseVersion: 1,
      reason: 'replaced by the new platform',
    });
    expect(closed.statusCode).toBe(200);
    expect(closed.json<{ item: Item }>().item).toMatchObject({
      status: 'wont-do',
      statusReason: 'replaced by the new platform',
      version: 2,
    });
    // Finished: done and won't-do again are refused until it is reopened.
    expect((await call('bob', 'POST', `/action-items/${item.id}/done`, { baseVersion: 2 })).statusCode).toBe(409);
    const reopened = await call('bob', 'PATCH', `/action-items/${item.id}`, { baseVersion: 2, status: 'open' });
    expect(reopened.json<{ item: Item }>().item).toMatchObject({ status: 'open', version: 3 });
    expect(reopened.json<{ item: Item }>().item.statusReason).toBeUndefined();
    const viaPatch = await call('bob', 'PATCH', `/action-items/${item.id}`, { baseVersion: 3, status: 'wont-do' });
    expect(viaPatch.statusCode).toBe(400);
  });

  it('marks an item without verify done, final, with no run', async () => {
    const item = await add({ title: 'Document the rotation', owner: 'bob' });
    const done = await call('bob', 'POST', `/action-items/${item.id}/done`, { baseVersion: 1 });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json<{ item: Item; verificationIncidentId?: string }>()).toEqual({
      item: expect.objectContaining({ status: 'done', runs: [], version: 2 }) as unknown,
    });
  });
});

describe('done with verify', () => {
  it('starts the verification runbook as an incident triggered by the caller and records it as pending', async () => {
    const item = await add({
      title: 'Rotate keys on db-1',
      owner: 'role:legal',
      verify: { runbook: verifyId, params: { host: 'db-1' } },
    });
    const done = await call('carol', 'POST', `/action-items/${item.id}/done`, { baseVersion: 1 });
    expect(done.statusCode, done.body).toBe(200);
    const { item: after, verificationIncidentId } = done.json<{ item: Item; verificationIncidentId: string }>();
    expect(after).toMatchObject({
      status: 'done',
      version: 2,
      runs: [{ incidentId: verificationIncidentId, result: 'pending' }],
    });
    const incident = await call('carol', 'GET', `/incidents/${verificationIncidentId}`);
    expect(incident.statusCode, incident.body).toBe(200);
    expect(
      incident.json<{ incident: { runbook: { id: string }; triggeredBy: string; params: object } }>().incident,
    ).toMatchObject({ runbook: { id: verifyId }, triggeredBy: 'carol', params: { host: 'db-1' } });
    expect(await store.getActionItem(item.id)).toMatchObject({ status: 'done', runs: [{ result: 'pending' }] });

    // Reopened and done again while its run is still pending: refused, naming the run to wait for.
    expect(
      (await call('carol', 'PATCH', `/action-items/${item.id}`, { baseVersion: 2, status: 'open' })).statusCode,
    ).toBe(200);
    const again = await call('carol', 'POST', `/action-items/${item.id}/done`, { baseVersion: 3 });
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json<{ error: { message: string } }>().error.message).toContain(
      `still being verified by incident ${verificationIncidentId}`,
    );
    expect(await store.getActionItem(item.id)).toMatchObject({
      status: 'open',
      version: 3,
      runs: [{ result: 'pending' }],
    });
  });

  it('refuses to start a verification for someone access.trigger does not let trigger the runbook', async () => {
    const item = await add({
      title: 'Verify as mallory?',
      owner: 'bob',
      verify: { runbook: verifyId, params: { host: 'x' } },
    });
    const refused = await call('bob', 'POST', `/action-items/${item.id}/done`, { baseVersion: 1 });
    expect(refused.statusCode, refused.body).toBe(403);
    expect(await store.getActionItem(item.id)).toMatchObject({ status: 'open', version: 1, runs: [] });
  });
});

describe('listing', () => {
  it('filters by owner (me is the caller), status, overdue and post-mortem, and shows strangers nothing', async () => {
    const past = await add({ title: 'Overdue one', owner: 'dana', dueAt: '2020-01-01T00:00:00Z' });
    const future = await add({ title: 'Due later', owner: 'dana', dueAt: '2999-01-01T00:00:00Z' });
    const pastDone = await add({ title: 'Overdue but done', owner: 'dana', dueAt: '2020-01-01T00:00:00Z' });
    expect((await call('alice', 'POST', `/action-items/${pastDone.id}/done`, { baseVersion: 1 })).statusCode).toBe(200);
    const ids = async (as: ApiUser, query: string) => {
      const response = await call(as, 'GET', `/action-items${query}`);
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ items: Item[] }>().items.map((i) => i.id);
    };
    expect(await ids('alice', '?owner=dana')).toEqual([past.id, future.id, pastDone.id]);
    expect(await ids('alice', '?owner=dana&overdue=true')).toEqual([past.id]);
    expect(await ids('alice', '?owner=dana&status=done')).toEqual([pastDone.id]);
    expect(await ids('alice', `?owner=dana&postmortem=${pm}&overdue=false`)).toEqual([past.id, future.id, pastDone.id]);
    const bobs = await ids('bob', '?owner=me');
    expect(bobs.length).toBeGreaterThan(0);
    for (const id of bobs) expect((await store.getActionItem(id))?.owner).toBe('bob');
    // carol holds legal: her items include those owned by role:legal, and nobody else's.
    const mine = await add({ title: 'Carol’s own', owner: 'carol' });
    const legal = await add({ title: 'For legal', owner: 'role:legal' });
    const carols = await ids('carol', '?owner=me');
    expect(carols).toEqual(expect.arrayContaining([mine.id, legal.id]));
    for (const id of carols) expect(['carol', 'role:legal']).toContain((await store.getActionItem(id))?.owner);
    expect(await ids('carol', '?owner=carol')).not.toContain(legal.id);
    expect(await ids('mallory', '')).toEqual([]);
    expect(await ids('mallory', '?owner=me')).toEqual([]);
    const bad = await call('alice', 'GET', '/action-items?status=finished&overdue=yes');
    expect(bad.statusCode).toBe(400);
    expect(issuePaths(bad.body).sort()).toEqual(['query.overdue', 'query.status']);
  });
});
