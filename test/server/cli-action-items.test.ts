/**
 * `firebreak action-item` against the real API (listening on loopback, over the dev server and an in-memory
 * PGlite store): add with a relative due date and a verification, list with the owner and overdue filters,
 * update on the version read, a won't-do that needs a reason, and done starting the verification incident.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyPostmortemStore, openPgliteStore, type PostmortemStore } from '../../src/postmortems/store/index.js';
import { cli } from '../unit/cli/client-support.js';
import { seedPostmortem } from '../unit/postmortems/fixtures.js';
import { startApiTest, type ApiTest } from './support.js';

const runbook = `
apiVersion: firebreak/v1
id: ai-cli
title: Leaked key
version: 1
severity: sev2
roles:
  commander: {}
  security: {}
steps:
  - { id: hold, title: Hold, task: Wait, assignee: role:commander }
`;
const verifyRunbook = `
apiVersion: firebreak/v1
id: ai-cli-verify
title: Rotation drill
version: 1
severity: sev4
params:
  hosts: { type: integer, required: true, description: How many hosts }
roles:
  commander: {}
  security: {}
steps:
  - { id: check, title: Check, task: Check the hosts, assignee: role:commander }
`;

let test: ApiTest;
let store: PostmortemStore;
let pm: string;
let url: string;
const env = (as: 'alice' | 'bob' | 'mallory'): NodeJS.ProcessEnv => ({
  FIREBREAK_URL: url,
  FIREBREAK_TOKEN: test.api.tokens[as],
  PATH: process.env.PATH,
});
const addedId = (out: string) => /^Added action item (\S+) to post-mortem/.exec(out)?.[1] ?? '';

beforeAll(async () => {
  store = await openPgliteStore('memory');
  test = await startApiTest({
    yaml: [runbook, verifyRunbook],
    postmortems: lazyPostmortemStore(() => Promise.resolve(store)),
  });
  await test.api.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(test.api.app.server.address() as AddressInfo).port}`;
  const incidentId = await test.api.trigger('alice', 'ai-cli');
  const people = { facilitators: ['alice'], reviewers: ['bob'], audience: [] };
  pm = await seedPostmortem(store, { incidentId, runbookId: 'ai-cli', title: 'Leaked key', people });
});

afterAll(async () => {
  await test?.close();
  await store?.close();
});

describe('firebreak action-item', () => {
  it('adds items with a relative due date, lists them by owner and overdue, and updates on the version read', async () => {
    const before = Date.now();
    const added = await cli(
      ['action-item', 'add', pm, '--title', 'Rotate keys', '--owner', 'bob', '--due', '7d', '--priority', 'p2'],
      env('alice'),
    );
    expect(added.code, added.err).toBe(0);
    const id = addedId(added.out);
    const item = await store.getActionItem(id);
    expect(item).toMatchObject({ owner: 'bob', priority: 'p2', status: 'open', createdBy: 'alice' });
    const due = Date.parse(item?.dueAt ?? '');
    expect(due - before).toBeGreaterThanOrEqual(7 * 86_400_000);
    expect(due - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);

    const late = addedId(
      (await cli(['action-item', 'add', pm, '--title', 'Late', '--owner', 'alice', '--due', '2020-01-01'], env('bob')))
        .out,
    );
    const mine = await cli(['action-item', 'list', '--owner', 'me'], env('bob'));
    expect(mine.code).toBe(0);
    expect(mine.out).toContain(id);
    expect(mine.out).not.toContain(late);
    // bob holds security: items owned by role:security are his too.
    const team = addedId(
      (await cli(['action-item', 'add', pm, '--title', 'Team', '--owner', 'role:security'], env('alice'))).out,
    );
    expect((await cli(['action-item', 'list', '--owner', 'me'], env('bob'))).out).toContain(team);
    expect((await cli(['action-item', 'list', '--owner', 'me'], env('alice'))).out).not.toContain(team);
    const overdue = await cli(['action-item', 'list', '--overdue', '--json'], env('alice'));
    expect(JSON.parse(overdue.out)).toMatchObject({ items: [{ id: late }], truncated: false });
    expect(await cli(['action-item', 'list'], env('mallory'))).toMatchObject({ code: 0, out: 'no action items\n' });

    const updated = await cli(
      ['action-item', 'update', id, '--status', 'in-progress', '--tracker', 'https://t.example/1'],
      env('bob'),
    );
    expect(updated).toMatchObject({ code: 0, out: `Updated action item ${id}: version 2\n` });
    const cleared = await cli(['action-item', 'update', id, '--tracker', 'none', '--due', 'none'], env('bob'));
    expect(cleared.code, cleared.err).toBe(0);
    expect(await store.getActionItem(id)).toMatchObject({ status: 'in-progress', version: 3 });
    expect((await store.getActionItem(id))?.trackerUrl).toBeUndefined();
    expect((await cli(['action-item', 'update', id, '--due', 'someday'], env('bob'))).code).toBe(2);
    expect((await cli(['action-item', 'update', id, '--title', 'mine'], env('mallory'))).code).toBe(4);
  });

  it("refuses a won't-do without a reason and closes it with one", async () => {
    const id = addedId(
      (await cli(['action-item', 'add', pm, '--title', 'Rewrite', '--owner', 'bob'], env('alice'))).out,
    );
    expect((await cli(['action-item', 'wontdo', id], env('bob'))).code).not.toBe(0);
    const closed = await cli(['action-item', 'wontdo', id, '--reason', 'replaced'], env('bob'));
    expect(closed).toMatchObject({ code: 0, out: `Action item ${id} closed as won't-do\n` });
    expect(await store.getActionItem(id)).toMatchObject({ status: 'wont-do', statusReason: 'replaced' });
    expect((await cli(['action-item', 'done', id], env('bob'))).code).toBe(5);
  });

  it('marks an item done and starts its verification runbook as an incident by the caller', async () => {
    const added = await cli(
      [
        ...['action-item', 'add', pm, '--title', 'Rotate all', '--owner', 'role:security'],
        ...['--verify-runbook', 'ai-cli-verify', '--verify-param', 'hosts=3'],
      ],
      env('alice'),
    );
    expect(added.code, added.err).toBe(0);
    const id = addedId(added.out);
    const done = await cli(['action-item', 'done', id], env('bob'));
    expect(done.code, done.err).toBe(0);
    const incidentId = /incident (\S+) started/.exec(done.out)?.[1] ?? '';
    const shown = await cli(['action-item', 'show', id], env('bob'));
    expect(shown.out).toContain(`run         ${incidentId}: pending`);
    const state = await test.api.call('bob', { method: 'GET', url: `/api/v1/incidents/${incidentId}` });
    expect(state.json<{ incident: object }>().incident).toMatchObject({
      runbook: { id: 'ai-cli-verify' },
      triggeredBy: 'bob',
      params: { hosts: 3 },
    });
  });

  it('prints only the id with --quiet, and done --wait waits for the verification: 0 verified, 1 reopened', async () => {
    const addQuiet = (title: string) =>
      cli(
        [
          ...['action-item', 'add', pm, '--title', title, '--owner', 'role:security', '--quiet'],
          ...['--verify-runbook', 'ai-cli-verify', '--verify-param', 'hosts=2'],
        ],
        env('alice'),
      );
    const added = await addQuiet('Rotate nightly');
    expect(added.code, added.err).toBe(0);
    const id = added.out.trim();
    expect(added.out).toMatch(/^\S+\n$/);
    expect((await store.getActionItem(id))?.title).toBe('Rotate nightly');

    /** The verification incident `done` started for the item, once it is recorded. */
    const started = async (item: string): Promise<string> => {
      for (;;) {
        const run = (await store.getActionItem(item))?.runs.find((r) => r.result === 'pending');
        if (run !== undefined) return run.incidentId;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const passing = cli(['action-item', 'done', id, '--wait', '2m'], env('bob'));
    const incident = await started(id);
    const complete = await test.api.call('alice', {
      method: 'POST',
      url: `/api/v1/incidents/${incident}/tasks/check/complete`,
      payload: {},
    });
    expect(complete.statusCode, complete.body).toBe(200);
    const verified = await passing;
    expect(verified.code, verified.err).toBe(0);
    expect(verified.out).toContain(`Verified: incident ${incident} passed`);
    expect((await store.getActionItem(id))?.status).toBe('verified');

    const second = (await addQuiet('Alert on key age')).out.trim();
    const failing = cli(['action-item', 'done', second, '--wait'], env('bob'));
    const cancelled = await started(second);
    const cancel = await test.api.call('alice', {
      method: 'POST',
      url: `/api/v1/incidents/${cancelled}/cancel`,
      payload: { reason: 'the drill host is down' },
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const reopened = await failing;
    expect(reopened.code).toBe(1);
    expect(reopened.err).toContain(`action item ${second} is open again`);
    expect(reopened.err).toContain(cancelled);
    expect((await store.getActionItem(second))?.status).toBe('open');
    expect((await cli(['action-item', 'done', second, '--wait', 'soon'], env('bob'))).code).toBe(2);
  });
});
