/**
 * The periodic lessons-learned digest, as a pure function of what was read: post-mortems and action items
 * of the period (the store's digest reads), contributing-factor terms, restore drills per drill runbook and
 * the runbooks' review dates. `postmortem.digest` reads and calls it; golden tests call it on fixed data.
 * Every list is capped (`limit`, default 50) and says how many it left out, so the output stays bounded.
 */
import { humanizeDuration } from '../domain/duration.js';
import { SEVERITIES, type ReviewPlan, type Severity } from '../domain/plan.js';
import { digestItems, type ItemsDigest } from './digest-items.js';
import { byText, cap, type Capped } from './digest-list.js';
import type { DigestActionItem, DigestPostmortem, DigestRows, DigestWindow, FactorTerm } from './store/types.js';

/** Items a list of the digest holds at most, by default. */
export const DIGEST_LIST_LIMIT = 50;

export type { Capped } from './digest-list.js';

const DAY_MS = 86_400_000;

/** One restore drill as the digest needs it. */
export interface DrillSummary {
  incidentId: string;
  startedAt: string;
  status: 'passed' | 'failed';
  reasons: string[];
}

/** A drill runbook's drills in the period, and whether it has drills from before (so none now is news). */
export interface DrillPeriod {
  runbook: string;
  records: DrillSummary[];
  hasEarlier: boolean;
  /** Records in the period that could not be read. */
  unreadable: number;
}

/** A loaded runbook as the digest needs it. */
export interface DigestRunbook {
  id: string;
  title: string;
  review?: ReviewPlan;
}

/** Everything the digest is computed from. */
export interface DigestInput {
  /** The period as asked (`30d`). */
  period: string;
  window: DigestWindow;
  postmortems: DigestRows<DigestPostmortem>;
  actionItems: DigestRows<DigestActionItem>;
  factors: FactorTerm[];
  drills: DrillPeriod[];
  runbooks: DigestRunbook[];
  limit?: number;
}

/** A post-mortem in a list. */
export interface PostmortemRef {
  id: string;
  incidentId: string;
  title: string;
  runbook: string;
  severity: Severity;
  status: DigestPostmortem['status'];
  startedAt: string;
}

/** Incidents and their median times, for one runbook or one severity. */
export interface IncidentStats {
  incidents: number;
  /** Median time to containment over the incidents that marked it; null when none did. */
  medianToContainmentMs: number | null;
  medianToContainment: string | null;
  medianToResolutionMs: number | null;
  medianToResolution: string | null;
}

/** The digest. Absent values are null, so a template can test every field. */
export interface LessonsDigest {
  period: { length: string; since: string; until: string };
  postmortems: {
    published: Capped<PostmortemRef & { publishedAt: string }>;
    /** In review, or still a draft past its review date. */
    awaitingReview: Capped<PostmortemRef & { reviewDueAt: string | null; overdue: boolean }>;
  };
  actionItems: ItemsDigest['actionItems'];
  verificationFailures: ItemsDigest['verificationFailures'];
  recurringTags: Capped<{ tag: string; postmortems: number }>;
  contributingFactors: Capped<FactorTerm>;
  incidents: {
    total: number;
    /** Per runbook, with how many of its incidents were of each severity. */
    byRunbook: Capped<
      IncidentStats & { runbook: string; title: string; severities: { severity: Severity; incidents: number }[] }
    >;
    bySeverity: (IncidentStats & { severity: Severity })[];
  };
  missedDeadlines: Capped<{
    postmortemId: string;
    incidentId: string;
    runbook: string;
    deadline: string;
    title: string;
    dueAt: string | null;
    overdueByMs: number;
    overdueBy: string;
  }>;
  drills: Capped<{
    runbook: string;
    drills: number;
    passed: number;
    failed: number;
    unreadable: number;
    failures: { incidentId: string; startedAt: string; reasons: string[] }[];
  }>;
  drillTotals: { drills: number; passed: number; failed: number };
  runbookReviews: Capped<{
    runbook: string;
    title: string;
    owner: string;
    every: string;
    last: string | null;
    /** When it fell due; null when it was never reviewed. */
    dueSince: string | null;
    /** Whole days since it fell due; null when it was never reviewed. */
    overdueDays: number | null;
  }>;
  /** Whether a store read held more rows than the store reads at once: the lists above are then partial. */
  truncated: { postmortems: boolean; actionItems: boolean };
}

const inWindow = (at: string | undefined, window: DigestWindow): boolean =>
  at !== undefined && Date.parse(at) >= Date.parse(window.since) && Date.parse(at) < Date.parse(window.until);

/** The median, or null without values. */
export function median(values: readonly number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

function refOf(postmortem: DigestPostmortem): PostmortemRef {
  const { id, incidentId, title, runbookId: runbook, severity, status, startedAt } = postmortem;
  return { id, incidentId, title, runbook, severity, status, startedAt };
}

/** Computes the digest of `input.window` from what was read. Pure: the same input gives the same digest. */
export function computeDigest(input: DigestInput): LessonsDigest {
  const limit = input.limit ?? DIGEST_LIST_LIMIT;
  const { window } = input;
  const until = Date.parse(window.until);
  const incidents = input.postmortems.items.filter((postmortem) => inWindow(postmortem.startedAt, window));
  return {
    period: { length: input.period, since: window.since, until: window.until },
    postmortems: postmortemLists(input.postmortems.items, window, limit),
    ...digestItems(input.actionItems.items, window, limit),
    recurringTags: cap(recurringTags(incidents), limit),
    contributingFactors: cap(input.factors, limit),
    incidents: incidentStats(incidents, limit),
    missedDeadlines: cap(missedDeadlines(incidents), limit),
    ...drillLists(input.drills, limit),
    runbookReviews: cap(dueReviews(input.runbooks, until), limit),
    truncated: { postmortems: input.postmortems.truncated, actionItems: input.actionItems.truncated },
  };
}

function postmortemLists(rows: readonly DigestPostmortem[], window: DigestWindow, limit: number) {
  const until = Date.parse(window.until);
  const published = rows
    .filter((row) => row.status === 'published' && inWindow(row.publishedAt, window))
    .map((row) => ({ ...refOf(row), publishedAt: row.publishedAt as string }))
    .sort((a, b) => byText(b.publishedAt, a.publishedAt) || byText(a.id, b.id));
  const overdue = (row: DigestPostmortem) => row.reviewDueAt !== undefined && Date.parse(row.reviewDueAt) < until;
  const awaiting = rows
    .filter((row) => row.status === 'in-review' || (row.status === 'draft' && overdue(row)))
    .map((row) => ({ ...refOf(row), reviewDueAt: row.reviewDueAt ?? null, overdue: overdue(row) }))
    // Overdue first, the longest overdue first; then by due date, then by start.
    .sort(
      (a, b) =>
        Number(b.overdue) - Number(a.overdue) ||
        byText(a.reviewDueAt ?? '~', b.reviewDueAt ?? '~') ||
        byText(a.startedAt, b.startedAt) ||
        byText(a.id, b.id),
    );
  return { published: cap(published, limit), awaitingReview: cap(awaiting, limit) };
}

function recurringTags(incidents: readonly DigestPostmortem[]): { tag: string; postmortems: number }[] {
  const counts = new Map<string, number>();
  for (const postmortem of incidents)
    for (const tag of new Set(postmortem.tags)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return [...counts]
    .filter(([, count]) => count >= 2)
    .map(([tag, postmortems]) => ({ tag, postmortems }))
    .sort((a, b) => b.postmortems - a.postmortems || byText(a.tag, b.tag));
}

function statsOf(group: readonly DigestPostmortem[]): IncidentStats {
  const containment = median(
    group.map((row) => row.durations.toContainmentMs).filter((ms): ms is number => ms !== undefined),
  );
  const resolution = median(group.map((row) => row.durations.toResolutionMs));
  return {
    incidents: group.length,
    medianToContainmentMs: containment,
    medianToContainment: containment === null ? null : humanizeDuration(containment),
    medianToResolutionMs: resolution,
    medianToResolution: resolution === null ? null : humanizeDuration(resolution),
  };
}

function incidentStats(incidents: readonly DigestPostmortem[], limit: number): LessonsDigest['incidents'] {
  const byRunbook = new Map<string, DigestPostmortem[]>();
  for (const row of incidents) byRunbook.set(row.runbookId, [...(byRunbook.get(row.runbookId) ?? []), row]);
  const runbooks = [...byRunbook]
    .map(([runbook, group]) => ({
      runbook,
      title: group[0]?.runbookTitle ?? runbook,
      ...statsOf(group),
      severities: SEVERITIES.map((severity) => ({
        severity,
        incidents: group.filter((row) => row.severity === severity).length,
      })).filter((count) => count.incidents > 0),
    }))
    .sort((a, b) => b.incidents - a.incidents || byText(a.runbook, b.runbook));
  const bySeverity = SEVERITIES.map((severity) => ({
    severity,
    ...statsOf(incidents.filter((row) => row.severity === severity)),
  })).filter((stats) => stats.incidents > 0);
  return { total: incidents.length, byRunbook: cap(runbooks, limit), bySeverity };
}

function missedDeadlines(incidents: readonly DigestPostmortem[]): LessonsDigest['missedDeadlines']['items'] {
  return incidents
    .flatMap((row) =>
      row.durations.deadlines
        .filter((deadline) => deadline.marginMs !== undefined && deadline.marginMs < 0)
        .map((deadline) => ({
          postmortemId: row.id,
          incidentId: row.incidentId,
          runbook: row.runbookId,
          deadline: deadline.id,
          title: deadline.title,
          dueAt: deadline.dueAt ?? null,
          overdueByMs: -(deadline.marginMs as number),
          overdueBy: humanizeDuration(-(deadline.marginMs as number)),
        })),
    )
    .sort(
      (a, b) => b.overdueByMs - a.overdueByMs || byText(a.incidentId, b.incidentId) || byText(a.deadline, b.deadline),
    );
}

function drillLists(periods: readonly DrillPeriod[], limit: number) {
  const drills = periods
    .filter((period) => period.records.length > 0 || period.hasEarlier || period.unreadable > 0)
    .map((period) => {
      const failed = period.records
        .filter((record) => record.status === 'failed')
        .sort((a, b) => byText(b.startedAt, a.startedAt));
      return {
        runbook: period.runbook,
        drills: period.records.length,
        passed: period.records.length - failed.length,
        failed: failed.length,
        unreadable: period.unreadable,
        failures: failed
          .slice(0, 5)
          .map(({ incidentId, startedAt, reasons }) => ({ incidentId, startedAt, reasons: reasons.slice(0, 5) })),
      };
    })
    // Runbooks with failures first, then those that had no drill at all, then the rest.
    .sort((a, b) => b.failed - a.failed || a.drills - b.drills || byText(a.runbook, b.runbook));
  const sum = (field: 'drills' | 'passed' | 'failed') => drills.reduce((total, drill) => total + drill[field], 0);
  return {
    drills: cap(drills, limit),
    drillTotals: { drills: sum('drills'), passed: sum('passed'), failed: sum('failed') },
  };
}

function dueReviews(runbooks: readonly DigestRunbook[], until: number): LessonsDigest['runbookReviews']['items'] {
  return runbooks
    .flatMap((runbook) => {
      const review = runbook.review;
      if (review === undefined) return [];
      const dueAt = review.last === undefined ? null : Date.parse(`${review.last}T00:00:00Z`) + review.everyMs;
      if (dueAt !== null && dueAt > until) return [];
      return [
        {
          runbook: runbook.id,
          title: runbook.title,
          owner: `role:${review.owner}`,
          every: review.every,
          last: review.last ?? null,
          dueSince: dueAt === null ? null : new Date(dueAt).toISOString(),
          overdueDays: dueAt === null ? null : Math.floor((until - dueAt) / DAY_MS),
        },
      ];
    })
    .sort((a, b) => byText(a.dueSince ?? '', b.dueSince ?? '') || byText(a.runbook, b.runbook));
}
