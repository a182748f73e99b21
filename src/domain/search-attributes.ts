/** The custom search attributes incidents are indexed by (workflow-safe: used by workflows and clients). */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { kindOfPlan, type Plan } from './plan.js';

export const RUNBOOK_ATTRIBUTE = defineSearchAttributeKey('FirebreakRunbook', SearchAttributeType.KEYWORD);
export const SEVERITY_ATTRIBUTE = defineSearchAttributeKey('FirebreakSeverity', SearchAttributeType.KEYWORD);
export const STATUS_ATTRIBUTE = defineSearchAttributeKey('FirebreakStatus', SearchAttributeType.KEYWORD);
export const DEDUP_ATTRIBUTE = defineSearchAttributeKey('FirebreakDedupKey', SearchAttributeType.KEYWORD);
/** Whether a run is an incident or a scheduled job (`RunKind`); runs started before it existed have none. */
export const KIND_ATTRIBUTE = defineSearchAttributeKey('FirebreakKind', SearchAttributeType.KEYWORD);
/** On a dedup workflow: the incident it holds (the latest it started), so the UI links the two. */
export const INCIDENT_ATTRIBUTE = defineSearchAttributeKey('FirebreakIncident', SearchAttributeType.KEYWORD);

/** Every Firebreak search attribute, for registration. */
export const SEARCH_ATTRIBUTES = [
  RUNBOOK_ATTRIBUTE,
  SEVERITY_ATTRIBUTE,
  STATUS_ATTRIBUTE,
  DEDUP_ATTRIBUTE,
  INCIDENT_ATTRIBUTE,
  KIND_ATTRIBUTE,
] as const;

/**
 * The `patched()` id under which workflows start incidents with `FirebreakKind` (issue 11): a run recorded
 * before it replays its child starts without the attribute.
 */
export const KIND_ATTRIBUTE_PATCH = 'incident-kind-attribute';

/** The `FirebreakKind` search attribute of a run of this plan. */
export function kindAttribute(plan: Pick<Plan, 'kind'>) {
  return { key: KIND_ATTRIBUTE, value: kindOfPlan(plan) };
}
