/** `firebreak incident show`: an incident's state rendered for people, with times relative to `now`. */
import type { IncidentState, PendingAction, StepState } from '../domain/state.js';
import { table } from './output.js';
import {
  approvalsSection,
  compensationsSection,
  deadlinesSection,
  decisionsSection,
  factsSection,
  formatValue,
  oneLine,
  postmortemSection,
  section,
} from './render-incident-records.js';
import { ago, between, dueText, formatInstant } from './render-time.js';

/**
 * Renders an incident: header, steps, waiting actions, approvals, decisions, facts, deadlines, compensations,
 * the post-mortem it needs, timeline.
 */
export function renderIncident(state: IncidentState, now: Date): string {
  const sections = [
    header(state, now),
    section('Steps', stepRows(state.steps, now)),
    pendingSection(state.pending, now),
    approvalsSection(state, now),
    decisionsSection(state),
    factsSection(state),
    deadlinesSection(state, now),
    compensationsSection(state),
    postmortemSection(state),
    section('Timeline', state.timeline.map(timelineRow)),
  ];
  return sections.filter((text) => text !== '').join('\n');
}

function header(state: IncidentState, now: Date): string {
  const params = Object.entries(state.params).map(([name, value]) => `${name}=${formatValue(value)}`);
  const rows = [
    ['runbook', `${state.runbook.id} v${state.runbook.version}`],
    ['severity', state.severity],
    ['status', state.status],
    ['started', `${formatInstant(state.startedAt)} (${ago(state.startedAt, now)})`],
    ...(state.endedAt !== undefined
      ? [['ended', `${formatInstant(state.endedAt)} (after ${between(state.startedAt, state.endedAt)})`]]
      : []),
    ['triggered by', state.triggeredBy],
    ...(params.length > 0 ? [['params', oneLine(params.join(', '))]] : []),
    ...(state.alerts !== undefined && state.alerts > 0 ? [['alerts', String(state.alerts)]] : []),
    ...(state.error !== undefined ? [['error', oneLine(`${state.error.code}: ${state.error.message}`)]] : []),
  ];
  return `Incident ${state.incidentId}  ${state.runbook.title}\n${table(rows, '  ')}`;
}

/** Steps in run order, each parallel branch indented under the step it belongs to. */
function stepRows(steps: readonly StepState[], now: Date): string[][] {
  const ids = new Set(steps.map((step) => step.id));
  const children = new Map<string | undefined, StepState[]>();
  for (const step of steps) {
    const parent = step.parent !== undefined && ids.has(step.parent) ? step.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), step]);
  }
  const rows: string[][] = [];
  const seen = new Set<string>();
  const visit = (parent: string | undefined, depth: number): void => {
    for (const step of children.get(parent) ?? []) {
      if (seen.has(step.id)) continue;
      seen.add(step.id);
      rows.push(stepRow(step, depth, now, children.get(step.id) ?? []));
      visit(step.id, depth + 1);
    }
  };
  visit(undefined, 0);
  // A step whose parents form a loop is unreachable from the top: show it rather than hide it.
  for (const step of steps) if (!seen.has(step.id)) rows.push(stepRow(step, 0, now));
  return rows;
}

function stepRow(step: StepState, depth: number, now: Date, children: readonly StepState[] = []): string[] {
  // Runs started before the group was recorded as failed show a group whose branches failed as succeeded.
  const failedChildren = children.filter((child) => child.status === 'failed' || child.status === 'timed_out');
  const hidesFailures = step.status === 'succeeded' && failedChildren.length > 0;
  const details = [
    hidesFailures
      ? `${failedChildren.length} of ${children.length} branches failed and the run continued: ${failedChildren.map((child) => child.id).join(', ')}`
      : '',
    step.completedBy !== undefined ? `by ${step.completedBy}` : '',
    step.status === 'waiting' && step.dueAt !== undefined ? dueText(step.dueAt, now) : '',
    step.error !== undefined ? oneLine(`${step.error.code}: ${step.error.message}`) : '',
  ];
  return [
    `${'  '.repeat(depth)}${step.id}`,
    step.kind,
    hidesFailures ? 'failed' : step.status,
    step.title,
    details.filter((detail) => detail !== '').join('; '),
  ];
}

/** What the run is waiting for people to do: who may act, by when, and what is asked. */
function pendingSection(pending: readonly PendingAction[], now: Date): string {
  if (pending.length === 0) return '';
  const lines = table(
    pending.map((action) => [
      action.step,
      action.kind,
      action.actors.join(', ') || 'anyone',
      action.dueAt !== undefined ? dueText(action.dueAt, now) : '',
      action.title,
    ]),
    '  ',
  ).split('\n');
  const blocks = pending.map((action, index) => {
    const extra = [
      ...(action.prompt !== '' && action.prompt !== action.title ? [oneLine(action.prompt)] : []),
      ...(action.options !== undefined ? [`options: ${action.options.join(' | ')}`] : []),
    ];
    return [lines[index] ?? '', ...extra.map((line) => `    ${line}`)].join('\n');
  });
  return `Waiting for people\n${blocks.join('\n')}\n`;
}

function timelineRow(event: IncidentState['timeline'][number]): string[] {
  return [
    formatInstant(event.at),
    event.source !== undefined ? `${event.actor}/${event.source}` : event.actor,
    event.type,
    oneLine(event.message),
  ];
}
