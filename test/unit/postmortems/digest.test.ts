/**
 * computeDigest: the golden digest of a fixed month (every list filled), each list's rules checked on its
 * own, capping with the count left out, and an empty month. Set UPDATE_GOLDEN=1 to rewrite the golden
 * file; review the diff before keeping it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeDigest } from '../../../src/postmortems/digest.js';
import { digestFixture } from './digest-fixture.js';
import { root } from './fixtures.js';

const golden = path.join(root, 'test/fixtures/golden/lessons-digest/digest.json');
const update = process.env.UPDATE_GOLDEN === '1';

describe('the lessons-learned digest', () => {
  it('matches its golden file over a fixed month', async () => {
    const text = `${JSON.stringify(computeDigest(digestFixture()), null, 2)}\n`;
    if (update) {
      await mkdir(path.dirname(golden), { recursive: true });
      await writeFile(golden, text);
    }
    expect(text, golden).toBe(await readFile(golden, 'utf8'));
  });

  it('reports each list by its own rule', () => {
    const digest = computeDigest(digestFixture());
    const ids = (list: { items: { id: string }[] }) => list.items.map((entry) => entry.id);
    expect(ids(digest.postmortems.published)).toEqual(['pm-1', 'pm-4']);
    expect(digest.postmortems.awaitingReview.items.map((row) => [row.id, row.status, row.overdue])).toEqual([
      ['pm-2', 'in-review', true],
      ['pm-3', 'draft', true],
      ['pm-5', 'in-review', false],
    ]);
    expect(ids(digest.actionItems.open)).toEqual(['ai-1', 'ai-7', 'ai-2', 'ai-3']);
    expect(digest.actionItems.overdue.items.map((row) => [row.id, row.overdueBy])).toEqual([
      ['ai-1', '11d 9h'],
      ['ai-7', '1d 9h'],
    ]);
    expect(ids(digest.actionItems.doneUnverified)).toEqual(['ai-4']);
    expect(digest.actionItems.verified.items.map((row) => [row.id, row.verifiedAt])).toEqual([
      ['ai-6', '2026-11-22T08:00:00.000Z'],
      ['ai-5', '2026-11-16T11:00:00.000Z'],
    ]);
    expect(digest.actionItems.owners.items.map((load) => load.owner)).toEqual([
      'bob',
      'role:security',
      'alice',
      'carol',
    ]);
    expect(digest.verificationFailures.items.map((failure) => [failure.item.id, failure.incidentId])).toEqual([
      ['ai-7', 'files-restore-drill-20261127-1'],
      ['ai-5', 'credential-leak-drill-1'],
    ]);
    // pm-4's incident started before the month: its tag does not count.
    expect(digest.recurringTags.items).toEqual([
      { tag: 'credentials', postmortems: 2 },
      { tag: 'vendor', postmortems: 2 },
    ]);
    expect(digest.incidents.total).toBe(4);
    expect(digest.incidents.byRunbook.items[0]).toEqual({
      runbook: 'credential-leak',
      title: 'credential leak',
      incidents: 2,
      medianToContainmentMs: 32.5 * 60_000,
      medianToContainment: '32m 30s',
      medianToResolutionMs: 4.5 * 3_600_000,
      medianToResolution: '4h 30m',
      severities: [
        { severity: 'sev1', incidents: 1 },
        { severity: 'sev2', incidents: 1 },
      ],
    });
    expect(digest.incidents.bySeverity.map((stats) => [stats.severity, stats.incidents])).toEqual([
      ['sev1', 2],
      ['sev2', 1],
      ['sev3', 1],
    ]);
    expect(digest.missedDeadlines.items.map((miss) => [miss.incidentId, miss.deadline, miss.overdueBy])).toEqual([
      ['ransomware-host-pm-3', 'nis2-early-warning', '1d 2h'],
      ['credential-leak-pm-2', 'gdpr-art33', '5h'],
    ]);
    expect(digest.drills.items.map((drill) => [drill.runbook, drill.drills, drill.passed, drill.failed])).toEqual([
      ['postgres-restore-drill', 4, 3, 1],
      ['files-restore-drill', 0, 0, 0],
    ]);
    expect(digest.drillTotals).toEqual({ drills: 4, passed: 3, failed: 1 });
    expect(digest.runbookReviews.items.map((review) => [review.runbook, review.dueSince, review.overdueDays])).toEqual([
      ['compromised-container-image', null, null],
      ['personal-data-exfiltration', '2026-08-30T00:00:00.000Z', 93],
      ['credential-leak', '2026-11-30T00:00:00.000Z', 1],
    ]);
  });

  it('caps every list and says how many it left out', () => {
    const digest = computeDigest({ ...digestFixture(), limit: 1 });
    expect(digest.actionItems.open).toMatchObject({ total: 4, omitted: 3 });
    expect(digest.actionItems.open.items).toHaveLength(1);
    expect(digest.postmortems.awaitingReview).toMatchObject({ total: 3, omitted: 2 });
    expect(digest.runbookReviews).toMatchObject({ total: 3, omitted: 2 });
    expect(digest.contributingFactors).toMatchObject({ total: 3, omitted: 2 });
    expect(digest.drills).toMatchObject({ total: 2, omitted: 1 });
  });

  it('holds zeros and empty lists for a quiet month, and passes truncation on', () => {
    const input = digestFixture();
    const digest = computeDigest({
      ...input,
      postmortems: { items: [], truncated: true },
      actionItems: { items: [], truncated: false },
      factors: [],
      drills: [],
      runbooks: [],
    });
    expect(digest.incidents).toEqual({ total: 0, byRunbook: { items: [], total: 0, omitted: 0 }, bySeverity: [] });
    expect(digest.actionItems.owners.total).toBe(0);
    expect(digest.drillTotals).toEqual({ drills: 0, passed: 0, failed: 0 });
    expect(digest.truncated).toEqual({ postmortems: true, actionItems: false });
  });
});
