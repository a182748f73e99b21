/**
 * Listing incidents through Temporal visibility: a query on the workflow type and Firebreak's search
 * attributes, with every value quoted, and the matches returned newest first.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { RunKind } from '../domain/plan.js';
import {
  KIND_ATTRIBUTE,
  RUNBOOK_ATTRIBUTE,
  SEVERITY_ATTRIBUTE,
  STATUS_ATTRIBUTE,
} from '../domain/search-attributes.js';
import { INCIDENT_WORKFLOW } from '../temporal/names.js';

/** What to list. Callers validate the values; they are quoted here, never trusted. */
export interface IncidentFilter {
  status?: string;
  runbook?: string;
  severity?: string;
  /** Only runs of this kind; `all` or absent: every kind. Runs started before kinds existed are incidents. */
  kind?: RunKind | 'all';
  /** How many incidents to return at most. */
  limit: number;
}

/** One incident as a list shows it. */
export interface IncidentSummary {
  incidentId: string;
  runbook: string;
  severity: string;
  kind: RunKind;
  status: string;
  startedAt: string;
  closedAt?: string;
}

/**
 * How many matches are read before sorting. The SQL visibility store of the dev server cannot
 * `ORDER BY`; it returns open runs first, then closed ones by close time, so the newest by start time
 * are sorted here, among the first matches it returns.
 */
export const LIST_SCAN_LIMIT = 10_000;

/** Quotes a value for a visibility query: backslashes and single quotes are escaped. */
export function quoteQueryValue(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** The visibility query for a filter: the incident workflow type and one clause per given attribute. */
export function incidentListQuery(filter: Omit<IncidentFilter, 'limit'>): string {
  const clauses = [`WorkflowType = ${quoteQueryValue(INCIDENT_WORKFLOW)}`];
  const attributes = [
    [STATUS_ATTRIBUTE.name, filter.status],
    [RUNBOOK_ATTRIBUTE.name, filter.runbook],
    [SEVERITY_ATTRIBUTE.name, filter.severity],
  ] as const;
  for (const [name, value] of attributes) if (value !== undefined) clauses.push(`${name} = ${quoteQueryValue(value)}`);
  const kind = KIND_ATTRIBUTE.name;
  // An incident started before FirebreakKind existed has none: it is an incident.
  if (filter.kind === 'incident') clauses.push(`(${kind} = ${quoteQueryValue('incident')} OR ${kind} IS NULL)`);
  else if (filter.kind === 'job') clauses.push(`${kind} = ${quoteQueryValue('job')}`);
  return clauses.join(' AND ');
}

/** Lists incidents matching a filter, newest first. */
export async function listIncidents(client: Client, filter: IncidentFilter): Promise<IncidentSummary[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query: incidentListQuery(filter), pageSize: 1000 })) {
    found.push(execution);
    if (found.length >= LIST_SCAN_LIMIT) break;
  }
  found.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
  return found.slice(0, filter.limit).map(summarize);
}

function summarize(execution: WorkflowExecutionInfo): IncidentSummary {
  const attributes = execution.typedSearchAttributes;
  const recorded = attributes.get(STATUS_ATTRIBUTE);
  // A run ended from outside (terminated, timed out) never recorded its final status: say how it ended.
  const closedOutside = execution.status.name !== 'RUNNING' && (recorded === undefined || recorded === 'running');
  return {
    incidentId: execution.workflowId,
    runbook: attributes.get(RUNBOOK_ATTRIBUTE) ?? '',
    severity: attributes.get(SEVERITY_ATTRIBUTE) ?? '',
    kind: attributes.get(KIND_ATTRIBUTE) === 'job' ? 'job' : 'incident',
    status: closedOutside ? execution.status.name.toLowerCase() : (recorded ?? 'running'),
    startedAt: execution.startTime.toISOString(),
    ...(execution.closeTime ? { closedAt: execution.closeTime.toISOString() } : {}),
  };
}
