/**
 * The data of a post-mortem's review notices (`templates/notices/review-reminder`, `review-overdue`,
 * `postmortem-published`), built from the stored post-mortem and its action items. Sections go in as
 * written: the notices are plain text, and the published summary is what the team wrote for its audience.
 */
import type { JsonValue } from '../domain/plan.js';
import type { ActionItem, Postmortem } from './store/index.js';

/** The post-mortem as every review notice shows it. */
export function noticePostmortem(postmortem: Postmortem): Record<string, JsonValue> {
  return {
    id: postmortem.id,
    title: postmortem.title,
    incidentId: postmortem.incidentId,
    status: postmortem.status,
    severity: postmortem.severity,
    runbookId: postmortem.runbookId,
    outcome: postmortem.outcome,
    reviewDueAt: postmortem.reviewDueAt ?? null,
    facilitators: [...postmortem.people.facilitators],
    reviewers: [...postmortem.people.reviewers],
  };
}

/** The data of a review reminder or overdue notice. */
export function reviewNoticeData(postmortem: Postmortem, timeZone: string): Record<string, JsonValue> {
  return { postmortem: noticePostmortem(postmortem), timeZone };
}

/** Who published, when, and whether it had been published before (the summary then says "updated"). */
export interface Publication {
  by: string;
  at: string;
  updated: boolean;
}

/** The data of the published summary: header, summary and lessons as written, the action items. */
export function publishedNoticeData(
  postmortem: Postmortem,
  items: readonly ActionItem[],
  publication: Publication,
  timeZone: string,
): Record<string, JsonValue> {
  return {
    postmortem: noticePostmortem(postmortem),
    publishedBy: publication.by,
    publishedAt: publication.at,
    updated: publication.updated,
    summary: postmortem.sections.summary.text.trim(),
    lessons: postmortem.sections.lessons.text.trim(),
    actionItems: items.map((item) => ({
      id: item.id,
      title: item.title,
      owner: item.owner,
      status: item.status,
      priority: item.priority,
      dueAt: item.dueAt ?? null,
    })),
    timeZone,
  };
}
