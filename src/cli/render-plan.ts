/** `firebreak runbook show`: a compiled plan rendered for people. */
import { formatDuration } from '../domain/duration.js';
import { kindOfPlan, type DeadlinePlan, type Plan, type StepPlan } from '../domain/plan.js';
import { childrenOf } from '../domain/step-kinds.js';
import { kindOfPlanStep } from '../runbook/kinds/index.js';
import { displayPath, table } from './output.js';

/** Renders a plan: header, params, roles, facts, decisions, deadlines, the step tree and compensations. */
export function renderPlan(plan: Plan, cwd: string): string {
  const sections = [
    header(plan, cwd),
    section('Params', paramRows(plan)),
    section('Roles', roleRows(plan)),
    section(
      'Facts',
      Object.entries(plan.facts).map(([name, fact]) => [name, fact.type, fact.description ?? '']),
    ),
    section('Decisions', decisionRows(plan)),
    deadlines(plan.deadlines),
    `Steps\n${table(stepRows(plan.steps, ''), '  ')}`,
    section(
      'Compensations',
      Object.values(plan.compensations).map((step) => stepRow(step, '')),
    ),
  ];
  return sections.filter((text) => text !== '').join('\n');
}

function header(plan: Plan, cwd: string): string {
  const lines = [
    `${plan.runbookId}  ${plan.title}`,
    table(
      [
        ['version', String(plan.version)],
        ['severity', plan.severity],
        ['kind', kindOfPlan(plan)],
        ['hash', plan.contentHash],
        ['file', displayPath(plan.source.file, cwd)],
        ...(plan.tags.length > 0 ? [['tags', plan.tags.join(', ')]] : []),
        ...(plan.review ? [['review', reviewText(plan.review)]] : []),
      ],
      '  ',
    ).trimEnd(),
  ];
  if (plan.description) lines.push('', ...wrap(plan.description, 100).map((line) => `  ${line}`));
  return `${lines.join('\n')}\n`;
}

/** `every 90d by role:security, last 2026-09-01` (or `never reviewed`). */
function reviewText(review: NonNullable<Plan['review']>): string {
  return `every ${review.every} by role:${review.owner}, ${review.last === undefined ? 'never reviewed' : `last ${review.last}`}`;
}

function section(title: string, rows: string[][]): string {
  return rows.length === 0 ? '' : `${title}\n${table(rows, '  ')}`;
}

function paramRows(plan: Plan): string[][] {
  return Object.entries(plan.params).map(([name, param]) => [
    name,
    param.type,
    param.default !== undefined ? `default ${JSON.stringify(param.default)}` : param.required ? 'required' : 'optional',
    [param.enum ? `one of ${param.enum.join(', ')}` : '', param.description ?? ''].filter(Boolean).join('; '),
  ]);
}

function roleRows(plan: Plan): string[][] {
  return Object.entries(plan.roles).map(([name, role]) => [
    name,
    role.members.length > 0 ? role.members.join(', ') : '(from the roster)',
    role.escalateTo
      ? `escalates to ${role.escalateTo}${role.afterMs !== undefined ? ` after ${formatDuration(role.afterMs)}` : ''}`
      : '',
  ]);
}

function decisionRows(plan: Plan): string[][] {
  return Object.entries(plan.decisions).map(([name, decision]) => [
    name,
    decision.options ? `options ${decision.options.join(' | ')}` : 'acknowledgement (records a time)',
  ]);
}

function deadlines(list: readonly DeadlinePlan[]): string {
  if (list.length === 0) return '';
  const blocks = list.map((deadline) => {
    const rows = [
      ['starts', `when decision ${deadline.startsAt.decision} is recorded`],
      ['within', formatDuration(deadline.withinMs)],
      ['met by', `step ${deadline.metBy.step}`],
    ];
    if (deadline.remindMs.length > 0) {
      const to = deadline.remindTo ? ` to role:${deadline.remindTo.role}` : '';
      rows.push(['reminders', `${deadline.remindMs.map(formatDuration).join(', ')}${to}`]);
    }
    if (deadline.when) rows.push(['when', deadline.when]);
    return `  ${deadline.id}  ${deadline.title}\n${table(rows, '    ')}`;
  });
  return `Deadlines\n${blocks.join('')}`;
}

function stepRows(steps: readonly StepPlan[], indent: string): string[][] {
  return steps.flatMap((step) => [stepRow(step, indent), ...stepRows(childrenOf(step), `${indent}  `)]);
}

function stepRow(step: StepPlan, indent: string): string[] {
  const extras = [
    step.when ? `when ${step.when}` : '',
    step.timeoutMs !== undefined ? `timeout ${formatDuration(step.timeoutMs)}` : '',
    step.retry ? `retry ${step.retry.maxAttempts}x` : '',
    step.onFailure === 'continue' ? 'continue on failure' : '',
    step.compensate ? `compensate ${step.compensate}` : '',
  ].filter(Boolean);
  return [`${indent}${step.id}`, kindOfPlanStep(step).describe(step), step.title, extras.join(', ')];
}

/** Wraps prose at word boundaries (runbook descriptions are often one folded YAML line). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.trim().split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
