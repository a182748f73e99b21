/**
 * The record sections of `firebreak incident show`: approvals, decisions, facts, deadlines, compensations,
 * the post-mortem the incident needs.
 */
import { formatDuration } from '../domain/duration.js';
import type { JsonValue } from '../domain/plan.js';
import type { ApprovalRecord, DeadlineRecord, IncidentState } from '../domain/state.js';
import { table, terminalSafe } from './output.js';
import { dueIn, formatInstant } from './render-time.js';

/** A JSON value for people: text as is, anything else as compact JSON. */
export function formatValue(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Text on one line, so that a multi-line note does not break a table; other controls are escaped. */
export function oneLine(text: string): string {
  return terminalSafe(text.replace(/\s*\n\s*/g, ' ').trim());
}

/** A titled section of aligned rows, or nothing when there are no rows. */
export function section(title: string, rows: readonly (readonly string[])[]): string {
  return rows.length === 0 ? '' : `${title}\n${table(rows, '  ')}`;
}

/** Each approval with its progress, the exact text put to the vote, and every vote cast. */
export function approvalsSection(state: IncidentState, now: Date): string {
  const approvals = Object.values(state.approvals);
  if (approvals.length === 0) return '';
  return `Approvals\n${approvals.map((approval) => approvalBlock(approval, now)).join('')}`;
}

function approvalBlock(approval: ApprovalRecord, now: Date): string {
  const approved = approval.votes.filter((vote) => vote.vote === 'approve').length;
  const needed = approval.quorum ?? approval.approvers.length;
  const when =
    approval.status === 'pending'
      ? approval.timeoutAt
        ? `times out ${dueIn(approval.timeoutAt, now)}`
        : ''
      : approval.decidedAt
        ? `decided ${formatInstant(approval.decidedAt)}`
        : '';
  const head = [
    approval.step,
    approval.status,
    `${approved} of ${needed} approvals`,
    approval.distinct === undefined
      ? ''
      : `${approval.distinctApprovers?.length ?? 0} of ${approval.distinct} distinct people`,
    `approvers ${approval.approvers.join(', ')}${approval.escalated ? ' (escalated)' : ''}`,
    when,
  ]
    .filter((part) => part !== '')
    .join('  ');
  const votes = approval.votes.map((vote) => [
    vote.voter,
    vote.vote,
    vote.roles.length > 0 ? `as ${vote.roles.join(', ')}` : '',
    formatInstant(vote.at),
    vote.comment !== undefined ? oneLine(vote.comment) : '',
  ]);
  const text = `    text: ${oneLine(approval.text)}\n    hash: ${approval.textHash}\n`;
  return `  ${head}\n${text}${votes.length > 0 ? table(votes, '    ') : '    no votes yet\n'}`;
}

/** Each decision with its option, who made it and when. */
export function decisionsSection(state: IncidentState): string {
  return section(
    'Decisions',
    Object.values(state.decisions).map((decision) => [
      decision.name,
      decision.option !== undefined ? `= ${decision.option}` : 'acknowledged',
      `by ${decision.by}`,
      formatInstant(decision.at),
    ]),
  );
}

/** Each fact with its value, whether it is confirmed or suspected, who set it and when. */
export function factsSection(state: IncidentState): string {
  return section(
    'Facts',
    Object.values(state.facts).map((fact) => [
      fact.name,
      oneLine(formatValue(fact.value)),
      fact.status,
      `by ${fact.setBy}`,
      formatInstant(fact.setAt),
      fact.step !== undefined ? `(step ${fact.step})` : '',
    ]),
  );
}

/** Each deadline with its status and, while it runs, the time left or how overdue it is. */
export function deadlinesSection(state: IncidentState, now: Date): string {
  return section(
    'Deadlines',
    Object.values(state.deadlines).map((deadline) => [
      deadline.id,
      deadline.status,
      deadline.dueAt !== undefined ? `due ${formatInstant(deadline.dueAt)}` : '',
      deadlineProgress(deadline, now),
      deadline.title,
    ]),
  );
}

function deadlineProgress(deadline: DeadlineRecord, now: Date): string {
  switch (deadline.status) {
    case 'running':
    case 'overdue':
      return deadline.dueAt !== undefined ? dueIn(deadline.dueAt, now) : '';
    case 'met':
    case 'met_late':
      return deadline.metAt !== undefined ? `met ${formatInstant(deadline.metAt)}` : '';
    case 'not_started':
      return 'starts at its decision';
    case 'not_applicable':
      return '';
  }
}

/** The compensations that ran, failures included, with their errors. */
export function compensationsSection(state: IncidentState): string {
  return section(
    'Compensations',
    state.compensations.map((compensation) => [
      compensation.id,
      `for ${compensation.forStep}`,
      compensation.status,
      formatInstant(compensation.at),
      compensation.error ? oneLine(`${compensation.error.code}: ${compensation.error.message}`) : '',
    ]),
  );
}

/** The post-mortem the incident needs (its `postmortem` step): who runs, reviews and hears of it, when it is due. */
export function postmortemSection(state: IncidentState): string {
  const required = state.postmortem;
  if (required === undefined) return '';
  const people = (roles: readonly string[], members: readonly string[]): string =>
    `${roles.map((role) => `role:${role}`).join(', ')}: ${members.length > 0 ? members.join(', ') : 'nobody on the roster'}`;
  const rows = [
    ['facilitator', people([required.roles.facilitator], required.facilitators)],
    ...(required.roles.reviewers.length > 0
      ? [['reviewers', people(required.roles.reviewers, required.reviewers)]]
      : []),
    ...(required.roles.audience.length > 0 ? [['audience', people(required.roles.audience, required.audience)]] : []),
    ...(required.dueMs !== undefined ? [['due', reviewDue(required.dueMs, state.endedAt)]] : []),
    ...(required.containedBy !== undefined ? [['contained by', `step ${required.containedBy}`]] : []),
    ...(required.tags.length > 0 ? [['tags', required.tags.join(', ')]] : []),
  ].map(([label, value]) => [label ?? '', oneLine(value ?? '')]);
  return section(`Post-mortem (step ${required.step})`, rows);
}

function reviewDue(dueMs: number, endedAt: string | undefined): string {
  const after = `${formatDuration(dueMs)} after the incident closes`;
  if (endedAt === undefined) return after;
  return `${formatInstant(new Date(Date.parse(endedAt) + dueMs).toISOString())} (${after})`;
}
