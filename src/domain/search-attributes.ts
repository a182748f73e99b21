/** The custom search attributes incidents are indexed by (workflow-safe: used by workflows and clients). */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const RUNBOOK_ATTRIBUTE = defineSearchAttributeKey('FirebreakRunbook', SearchAttributeType.KEYWORD);
export const SEVERITY_ATTRIBUTE = defineSearchAttributeKey('FirebreakSeverity', SearchAttributeType.KEYWORD);
export const STATUS_ATTRIBUTE = defineSearchAttributeKey('FirebreakStatus', SearchAttributeType.KEYWORD);
export const DEDUP_ATTRIBUTE = defineSearchAttributeKey('FirebreakDedupKey', SearchAttributeType.KEYWORD);
/** On a dedup workflow: the incident it holds (the latest it started), so the UI links the two. */
export const INCIDENT_ATTRIBUTE = defineSearchAttributeKey('FirebreakIncident', SearchAttributeType.KEYWORD);

/** Every Firebreak search attribute, for registration. */
export const SEARCH_ATTRIBUTES = [
  RUNBOOK_ATTRIBUTE,
  SEVERITY_ATTRIBUTE,
  STATUS_ATTRIBUTE,
  DEDUP_ATTRIBUTE,
  INCIDENT_ATTRIBUTE,
] as const;
