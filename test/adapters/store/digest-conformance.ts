/**
 * The store's digest reads, run against each adapter on a real engine in a database of their own (the
 * reads take every open item and every post-mortem in review, so other tests' rows would count): which
 * post-mortems and action items a period's digest sees, and the contributing-factor terms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/domain/errors.js';
import type { PostmortemStore } from '../../../src/postmortems/store/index.js';
import type { NewPostmortem } from '../../../src/postmortems/types.js';
import { expectCode, newPostmortem, type StoreTarget } from './postmortem-store-conformance.js';

const WINDOW = { since: '2030-01-01T00:00:00.000Z', until: '2030-02-01T00:00:00.000Z' };

/** Registers the digest conformance tests for one adapter. */
export function runDigestConformance(label: string, target: () => StoreTarget): void {
  describe(`${label} post-mortem store: digest reads`, () => {
    let store: PostmortemStore;
    const ids: Record<string, string> = {};
    const items: Record<string, string> = {};

    async function add(name: string, overrides: Partial<NewPostmortem>, factors?: string) {
      const endedAt = new Date(Date.parse(overrides.startedAt ?? '') + 3_600_000).toISOString();
      const { postmortem } = await store.createPostmortem(newPostmortem({ endedAt, ...overrides }));
      ids[name] = postmortem.id;
      if (factors !== undefined) {
        await store.editSection(postmortem.id, 'contributing-factors', factors, {
          author: 'alice',
          at: postmortem.startedAt,
          baseRevision: 0,
        });
      }
      return postmortem.id;
    }

    async function move(id: string, steps: [string, string, string][]) {
      for (const [from, to, at] of steps) {
        await store.setStatus(id, { from: from as never, to: to as never, actor: 'alice', at });
      }
    }

    async function item(
      name: string,
      postmortemId: string,
      status?: 'done' | 'wont-do',
      createdAt = '2029-12-01T00:00:00Z',
    ) {
      const added = await store.addActionItem({
        postmortemId,
        title: `item ${name}`,
        owner: 'role:sre',
        priority: 'p2',
        createdBy: 'alice',
        createdAt,
        ...(status === undefined ? {} : { status }),
        ...(status === 'wont-do' ? { statusReason: 'superseded' } : {}),
      });
      items[name] = added.id;
      return added;
    }

    beforeAll(async () => {
      store = await (await target().fresh()).open();
      const published = await add(
        'published',
        { startedAt: '2030-01-05T00:00:00Z', severity: 'sev1', tags: ['dns', 'config'], runbookId: 'dns-outage' },
        'The DNS config change was not reviewed. Config drift between regions hid it.',
      );
      await move(published, [
        ['draft', 'in-review', '2030-01-08T00:00:00Z'],
        ['in-review', 'published', '2030-01-10T00:00:00Z'],
      ]);
      const review = await add(
        'review',
        { startedAt: '2030-01-20T00:00:00Z', severity: 'sev2', tags: ['dns'], runbookId: 'dns-outage' },
        'A config change to DNS records went out without a canary.',
      );
      await move(review, [['draft', 'in-review', '2030-01-25T00:00:00Z']]);
      const overdueDraft = await add(
        'overdueDraft',
        { startedAt: '2029-11-01T00:00:00Z', reviewDueAt: '2029-11-10T00:00:00Z' },
        'Kernel kernel kernel kernel: an old kernel panicked.',
      );
      const laterDraft = await add('laterDraft', {
        startedAt: '2029-10-01T00:00:00Z',
        reviewDueAt: '2031-01-01T00:00:00Z',
      });
      const publishedBefore = await add('publishedBefore', { startedAt: '2029-09-01T00:00:00Z' });
      await move(publishedBefore, [
        ['draft', 'in-review', '2029-09-05T00:00:00Z'],
        ['in-review', 'published', '2029-09-10T00:00:00Z'],
      ]);
      const publishedIn = await add('publishedIn', { startedAt: '2029-12-01T00:00:00Z' });
      await move(publishedIn, [
        ['draft', 'in-review', '2029-12-20T00:00:00Z'],
        ['in-review', 'published', '2030-01-15T00:00:00Z'],
      ]);
      // Starts at `until`, which the window leaves out.
      await add('atUntil', { startedAt: '2030-02-01T00:00:00Z' }, 'config config config');

      await item('open', published);
      await item('done', overdueDraft, 'done');
      await item('wontDoBefore', laterDraft, 'wont-do');
      const verified = await item('verifiedIn', publishedIn);
      await store.updateActionItem(verified.id, {
        baseVersion: 1,
        actor: 'bob',
        at: '2030-01-12T00:00:00Z',
        patch: { status: 'verified' },
        run: { incidentId: 'drill-1', result: 'passed', at: '2030-01-12T00:00:00Z' },
      });
      const verifiedBefore = await item('verifiedBefore', publishedBefore);
      await store.updateActionItem(verifiedBefore.id, {
        baseVersion: 1,
        actor: 'bob',
        at: '2029-12-12T00:00:00Z',
        patch: { status: 'verified' },
        run: { incidentId: 'drill-0', result: 'passed', at: '2029-12-12T00:00:00Z' },
      });
      // Failed in the window, then closed as won't-do after it: still seen for its failed run.
      const failed = await item('failedIn', publishedBefore);
      await store.updateActionItem(failed.id, {
        baseVersion: 1,
        actor: 'bob',
        at: '2030-01-03T00:00:00Z',
        patch: { status: 'open' },
        run: { incidentId: 'drill-2', result: 'failed', at: '2030-01-03T00:00:00Z' },
      });
      await store.updateActionItem(failed.id, {
        baseVersion: 2,
        actor: 'bob',
        at: '2030-03-01T00:00:00Z',
        patch: { status: 'wont-do', statusReason: 'replaced' },
      });
    }, 60_000);

    afterAll(async () => {
      await store.close();
    });

    it('reads the period’s incidents, what was published in it, and every post-mortem in review or overdue', async () => {
      const { items: rows, truncated } = await store.digestPostmortems(WINDOW);
      expect(truncated).toBe(false);
      const byId = new Map(rows.map((row) => [row.id, row]));
      const names = Object.entries(ids)
        .filter(([, id]) => byId.has(id))
        .map(([name]) => name)
        .sort();
      expect(names).toEqual(['overdueDraft', 'published', 'publishedIn', 'review']);
      // Newest incident first.
      expect(rows.map((row) => row.id)).toEqual([ids.review, ids.published, ids.publishedIn, ids.overdueDraft]);
      expect(byId.get(ids.published!)).toMatchObject({
        status: 'published',
        publishedAt: '2030-01-10T00:00:00.000Z',
        runbookId: 'dns-outage',
        runbookTitle: 'Leak',
        severity: 'sev1',
        tags: ['dns', 'config'],
        startedAt: '2030-01-05T00:00:00.000Z',
        durations: { toResolutionMs: 3_600_000, deadlines: [] },
      });
      expect(byId.get(ids.review!)?.publishedAt).toBeUndefined();
      expect(byId.get(ids.overdueDraft!)?.reviewDueAt).toBe('2029-11-10T00:00:00.000Z');
      expect(Object.keys(byId.get(ids.review!) ?? {})).not.toContain('sections');
    });

    it('reads the items still to do and those whose status or verification changed in the period', async () => {
      const { items: rows, truncated } = await store.digestActionItems(WINDOW);
      expect(truncated).toBe(false);
      const seen = new Set(rows.map((row) => row.id));
      const names = Object.entries(items)
        .filter(([, id]) => seen.has(id))
        .map(([name]) => name)
        .sort();
      expect(names).toEqual(['done', 'failedIn', 'open', 'verifiedIn']);
      const failed = rows.find((row) => row.id === items.failedIn);
      expect(failed).toMatchObject({ status: 'wont-do', runs: [{ incidentId: 'drill-2', result: 'failed' }] });
      expect(rows.find((row) => row.id === items.open)?.postmortemTitle).toBe('Leaked deploy key');
    });

    it('counts contributing-factor terms as the search index lexes them, in the period only', async () => {
      const terms = await store.contributingFactorTerms(WINDOW, 3);
      expect(terms).toEqual([
        { term: 'config', word: 'config', postmortems: 2, occurrences: 3 },
        { term: 'chang', word: 'change', postmortems: 2, occurrences: 2 },
        { term: 'dns', word: 'dns', postmortems: 2, occurrences: 2 },
      ]);
      const all = await store.contributingFactorTerms(WINDOW, 100);
      const words = all.map((term) => term.term);
      // Stop words are dropped, and the kernel post-mortem started before the window.
      expect(words).not.toContain('the');
      expect(words).not.toContain('kernel');
      expect(all.find((term) => term.term === 'review')).toEqual({
        term: 'review',
        word: 'reviewed',
        postmortems: 1,
        occurrences: 1,
      });
    });

    it('refuses a window that is not one, naming the field', async () => {
      const backwards = await expectCode(
        store.digestPostmortems({ since: WINDOW.until, until: WINDOW.since }),
        ErrorCode.InvalidInput,
      );
      expect(backwards.message).toContain('must be before until');
      const bad = await expectCode(
        store.digestActionItems({ since: 'yesterday', until: WINDOW.until }),
        ErrorCode.InvalidInput,
      );
      expect(bad.message).toContain('digestActionItems');
      await expectCode(store.contributingFactorTerms(WINDOW, 0), ErrorCode.InvalidInput);
      await expectCode(
        store.contributingFactorTerms({ since: "2030-01-01T00:00:00Z'; --", until: WINDOW.until }),
        ErrorCode.InvalidInput,
      );
    });
  });
}
