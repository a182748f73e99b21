/**
 * `settleVerificationRun` over a real PGlite store: a compare-and-set that loses the race to someone who
 * changed the item meanwhile reads it again and decides again, so neither their change nor the result is
 * lost; a retried settle finds the run recorded and still says to page; the item's timings come from config.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createActionItemActivities,
  type SettleVerificationInput,
  type SettleVerificationResult,
} from '../../../activities/action-items.js';
import type { PostmortemsConfig } from '../../../src/config/index.js';
import { draftPostmortem } from '../../../src/postmortems/draft.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  type ActionItem,
  type ActionItemPatch,
  type PostmortemStore,
} from '../../../src/postmortems/store/index.js';
import { draftOptions, fixture } from '../postmortems/fixtures.js';

let store: PostmortemStore;
let pm: string;
const at = '2030-01-02T00:00:00.000Z';
const failed = { result: 'failed' as const, reason: 'step record (Record) failed: DRILL_FAILED: missed RPO' };

beforeAll(async () => {
  store = await openPgliteStore('memory');
  const { state, plan } = await fixture('tabletop');
  pm = (await store.createPostmortem(draftPostmortem(state, plan, draftOptions))).postmortem.id;
});
afterAll(() => store?.close());

/** An item done with its run of `incidentId` pending, as `done` leaves it. */
async function doneItem(incidentId: string): Promise<ActionItem> {
  const added = await store.addActionItem({
    postmortemId: pm,
    title: 'Make backups restorable',
    owner: 'role:sre',
    priority: 'p1',
    verify: { runbook: 'files-restore-drill', params: { source: 'uploads' } },
    createdBy: 'alice',
    createdAt: at,
  });
  const run = { incidentId, result: 'pending' as const, at };
  return store.updateActionItem(added.id, { baseVersion: 1, actor: 'carol', at, patch: { status: 'done' }, run });
}

/**
 * The store as the activity sees it, where someone applies `patch` to the item just after the activity's
 * first read: its first write then loses the compare-and-set.
 */
function racedStore(patch: ActionItemPatch): PostmortemStore {
  let raced = false;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'getActionItem') return Reflect.get(target, property, receiver) as unknown;
      return async (id: string) => {
        const item = await target.getActionItem(id);
        if (!raced && item !== undefined) {
          raced = true;
          await target.updateActionItem(id, { baseVersion: item.version, actor: 'bob', at, patch });
        }
        return item;
      };
    },
  });
}

function settleWith(source: PostmortemStore, input: SettleVerificationInput): Promise<SettleVerificationResult> {
  const { settleVerificationRun } = createActionItemActivities({
    postmortems: { config: { timeZone: 'UTC' }, store: lazyPostmortemStore(() => Promise.resolve(source)) },
  });
  return new MockActivityEnvironment().run(settleVerificationRun, input);
}

describe('settleVerificationRun', () => {
  it('re-reads and re-decides after losing the race, keeping the other change and the result', async () => {
    const item = await doneItem('drill-a');
    const settled = await settleWith(racedStore({ title: 'Make the uploads backups restorable' }), {
      itemId: item.id,
      incidentId: 'drill-a',
      outcome: failed,
    });
    expect(settled).toMatchObject({ action: 'reopened', result: 'failed', page: true, item: { status: 'open' } });
    const now = await store.getActionItem(item.id);
    expect(now).toMatchObject({
      title: 'Make the uploads backups restorable',
      status: 'open',
      statusReason: `verification incident drill-a failed: ${failed.reason}`,
      version: 4,
      updatedBy: 'system',
    });
    expect(now?.runs.map((run) => run.result)).toEqual(['pending', 'failed']);
  });

  it('only records the run when the race reopened the item, and still pages for a failure', async () => {
    const item = await doneItem('drill-b');
    const settled = await settleWith(racedStore({ status: 'in-progress' }), {
      itemId: item.id,
      incidentId: 'drill-b',
      outcome: failed,
    });
    expect(settled).toMatchObject({ action: 'recorded', page: true, item: { status: 'in-progress' } });
    expect((await store.getActionItem(item.id))?.runs.map((run) => run.result)).toEqual(['pending', 'failed']);
  });

  it('finds the run recorded on a retry, writes nothing, and still says to page', async () => {
    const item = await doneItem('drill-c');
    const input = { itemId: item.id, incidentId: 'drill-c', outcome: failed };
    await settleWith(store, input);
    const version = (await store.getActionItem(item.id))?.version;
    expect(await settleWith(store, input)).toMatchObject({ action: 'already', result: 'failed', page: true });
    expect((await store.getActionItem(item.id))?.version).toBe(version);
  });

  it('reads the due timings and time zone from the config, with the defaults', async () => {
    const policy = (config: Pick<PostmortemsConfig, 'timeZone' | 'actionItems'>) =>
      new MockActivityEnvironment().run(createActionItemActivities({ postmortems: { config } }).actionItemPolicy);
    expect(await policy({ timeZone: 'Europe/Paris' })).toEqual({
      remindBeforeMs: 2 * 86_400_000,
      overdueEveryMs: 7 * 86_400_000,
      timeZone: 'Europe/Paris',
    });
    expect(
      await policy({ timeZone: 'UTC', actionItems: { remindBefore: 3_600_000, overdueEvery: 7_200_000 } }),
    ).toEqual({ remindBeforeMs: 3_600_000, overdueEveryMs: 7_200_000, timeZone: 'UTC' });
  });
});
