/**
 * Fixed data for the lessons-learned digest: a month with published, in-review and overdue post-mortems,
 * action items in every state, a missed deadline, failing and silent drills and runbooks due for review.
 * The golden digest (test/fixtures/golden/lessons-digest/) and the golden message render it.
 */
import type { DigestInput } from '../../../src/postmortems/digest.js';
import type { DigestActionItem, DigestPostmortem } from '../../../src/postmortems/store/types.js';

const H = 3_600_000;
const M = 60_000;

function postmortem(fields: Partial<DigestPostmortem> & Pick<DigestPostmortem, 'id' | 'runbookId'>): DigestPostmortem {
  return {
    incidentId: `${fields.runbookId}-${fields.id}`,
    title: `Incident ${fields.id}`,
    runbookTitle: fields.runbookId.replace(/-/g, ' '),
    severity: 'sev2',
    status: 'published',
    startedAt: '2026-11-03T08:00:00.000Z',
    endedAt: '2026-11-03T14:00:00.000Z',
    tags: [],
    durations: { toResolutionMs: 6 * H, deadlines: [] },
    ...fields,
  };
}

function item(fields: Partial<DigestActionItem> & Pick<DigestActionItem, 'id' | 'status' | 'owner'>): DigestActionItem {
  return {
    postmortemId: 'pm-1',
    postmortemTitle: 'Incident pm-1',
    title: `Action ${fields.id}`,
    priority: 'p2',
    runs: [],
    version: 1,
    createdBy: 'alice',
    createdAt: '2026-11-04T10:00:00.000Z',
    updatedBy: 'alice',
    updatedAt: '2026-11-04T10:00:00.000Z',
    ...fields,
  };
}

/** The digest input of November 2026 (30 days to 1 December, 09:00 UTC). */
export function digestFixture(): DigestInput {
  return {
    period: '30d',
    window: { since: '2026-11-01T09:00:00.000Z', until: '2026-12-01T09:00:00.000Z' },
    postmortems: {
      truncated: false,
      items: [
        postmortem({
          id: 'pm-5',
          runbookId: 'compromised-container-image',
          severity: 'sev3',
          status: 'in-review',
          startedAt: '2026-11-28T12:00:00.000Z',
          reviewDueAt: '2026-12-03T12:00:00.000Z',
          tags: ['supply-chain'],
          durations: { toResolutionMs: 90 * M, deadlines: [] },
        }),
        postmortem({
          id: 'pm-3',
          runbookId: 'ransomware-host',
          severity: 'sev1',
          status: 'draft',
          startedAt: '2026-11-20T02:00:00.000Z',
          reviewDueAt: '2026-11-25T02:00:00.000Z',
          tags: ['vendor', 'backups'],
          durations: {
            toContainmentMs: 2 * H,
            toResolutionMs: 30 * H,
            deadlines: [
              { id: 'nis2-early-warning', title: 'NIS2 early warning', status: 'overdue', marginMs: -26 * H },
              { id: 'gdpr-art33', title: 'Notify the supervisory authority', status: 'not_applicable' },
            ],
          },
        }),
        postmortem({
          id: 'pm-2',
          runbookId: 'credential-leak',
          severity: 'sev1',
          status: 'in-review',
          startedAt: '2026-11-14T22:00:00.000Z',
          reviewDueAt: '2026-11-19T22:00:00.000Z',
          tags: ['credentials'],
          durations: {
            toContainmentMs: 20 * M,
            toResolutionMs: 3 * H,
            deadlines: [
              {
                id: 'gdpr-art33',
                title: 'Notify the supervisory authority',
                status: 'met',
                startedAt: '2026-11-14T23:00:00.000Z',
                dueAt: '2026-11-17T23:00:00.000Z',
                metAt: '2026-11-18T04:00:00.000Z',
                marginMs: -5 * H,
              },
            ],
          },
        }),
        postmortem({
          id: 'pm-1',
          runbookId: 'credential-leak',
          status: 'published',
          publishedAt: '2026-11-10T15:00:00.000Z',
          tags: ['credentials', 'vendor'],
          durations: {
            toContainmentMs: 45 * M,
            toResolutionMs: 6 * H,
            deadlines: [
              { id: 'gdpr-art33', title: 'Notify the supervisory authority', status: 'met', marginMs: 2 * H },
            ],
          },
        }),
        postmortem({
          id: 'pm-4',
          runbookId: 'personal-data-exfiltration',
          status: 'published',
          startedAt: '2026-10-20T10:00:00.000Z',
          publishedAt: '2026-11-05T09:30:00.000Z',
          tags: ['vendor'],
        }),
      ],
    },
    actionItems: {
      truncated: false,
      items: [
        item({ id: 'ai-1', status: 'open', owner: 'role:security', priority: 'p1', dueAt: '2026-11-20T00:00:00.000Z' }),
        item({ id: 'ai-2', status: 'in-progress', owner: 'alice', dueAt: '2026-12-15T00:00:00.000Z' }),
        item({ id: 'ai-3', status: 'open', owner: 'alice', postmortemId: 'pm-2', postmortemTitle: 'Incident pm-2' }),
        item({
          id: 'ai-4',
          status: 'done',
          owner: 'bob',
          verify: { runbook: 'postgres-restore-drill', params: { source: 'orders' } },
          runs: [
            { incidentId: 'postgres-restore-drill-20261129-1', result: 'pending', at: '2026-11-29T10:00:00.000Z' },
          ],
        }),
        item({
          id: 'ai-5',
          status: 'verified',
          owner: 'role:security',
          updatedAt: '2026-11-16T11:00:00.000Z',
          runs: [
            { incidentId: 'credential-leak-drill-1', result: 'failed', at: '2026-11-12T10:00:00.000Z' },
            { incidentId: 'credential-leak-drill-2', result: 'passed', at: '2026-11-16T11:00:00.000Z' },
          ],
        }),
        item({ id: 'ai-6', status: 'verified', owner: 'carol', updatedAt: '2026-11-22T08:00:00.000Z' }),
        item({
          id: 'ai-7',
          status: 'open',
          owner: 'bob',
          dueAt: '2026-11-30T00:00:00.000Z',
          statusReason: 'verification failed',
          runs: [{ incidentId: 'files-restore-drill-20261127-1', result: 'failed', at: '2026-11-27T03:00:00.000Z' }],
        }),
        item({
          id: 'ai-8',
          status: 'wont-do',
          owner: 'alice',
          statusReason: 'superseded by ai-1',
          updatedAt: '2026-11-08T00:00:00.000Z',
        }),
      ],
    },
    factors: [
      { term: 'rotat', word: 'rotation', postmortems: 2, occurrences: 3 },
      { term: 'vendor', word: 'vendor', postmortems: 2, occurrences: 2 },
      { term: 'alert', word: 'alerts', postmortems: 1, occurrences: 2 },
    ],
    drills: [
      { runbook: 'files-restore-drill', records: [], hasEarlier: true, unreadable: 0 },
      {
        runbook: 'postgres-restore-drill',
        hasEarlier: true,
        unreadable: 1,
        records: [
          { incidentId: 'pg-drill-1', startedAt: '2026-11-02T02:30:00.000Z', status: 'passed', reasons: [] },
          {
            incidentId: 'pg-drill-2',
            startedAt: '2026-11-09T02:30:00.000Z',
            status: 'failed',
            reasons: ['check row-count: orders has 0 rows, expected at least 1000', 'RTO 2h 5m missed the target 1h'],
          },
          { incidentId: 'pg-drill-3', startedAt: '2026-11-16T02:30:00.000Z', status: 'passed', reasons: [] },
          { incidentId: 'pg-drill-4', startedAt: '2026-11-23T02:30:00.000Z', status: 'passed', reasons: [] },
        ],
      },
      { runbook: 'never-used-drill', records: [], hasEarlier: false, unreadable: 0 },
    ],
    runbooks: [
      {
        id: 'compromised-container-image',
        title: 'Compromised container image',
        review: { every: '90d', everyMs: 90 * 24 * H, owner: 'platform' },
      },
      {
        id: 'credential-leak',
        title: 'Leaked credential',
        review: { every: '90d', everyMs: 90 * 24 * H, owner: 'security', last: '2026-09-01' },
      },
      {
        id: 'personal-data-exfiltration',
        title: 'Personal data exfiltration',
        review: { every: '90d', everyMs: 90 * 24 * H, owner: 'dpo', last: '2026-06-01' },
      },
      {
        id: 'ransomware-host',
        title: 'Ransomware on a host',
        review: { every: '90d', everyMs: 90 * 24 * H, owner: 'security', last: '2026-11-02' },
      },
      { id: 'restore-from-backup', title: 'Restore from backup' },
    ],
  };
}
