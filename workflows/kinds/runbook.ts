/** `runbook` steps: a child runbook run as a child incident workflow, with its own frozen plan. */
import { ApplicationFailure, executeChild } from '@temporalio/workflow';
import { SECRET_CLOSE, SECRET_OPEN } from '../../src/domain/expressions.js';
import { ErrorCode } from '../../src/domain/errors.js';
import type { JsonValue, RunbookStep } from '../../src/domain/plan.js';
import { RUNBOOK_ATTRIBUTE, SEVERITY_ATTRIBUTE, STATUS_ATTRIBUTE } from '../../src/domain/search-attributes.js';
import { checkFactValue } from '../../src/domain/values.js';
import { own } from '../../src/domain/own.js';
import type { IncidentResult, StartIncident } from '../messages.js';
import type { IncidentRun } from '../run.js';
import { retryPolicy } from './action.js';
import type { ExecutorFor } from './types.js';

export const runbookExecutor: ExecutorFor<'runbook'> = {
  kind: 'runbook',
  handlesTimeout: true,
  async execute(step, { run }) {
    const params = childParams(run, step);
    const input: StartIncident = {
      plan: step.plan,
      params,
      severity: run.state.severity,
      triggeredBy: { id: run.state.triggeredBy },
      parent: { incidentId: run.state.incidentId, step: step.id },
    };
    const childId = `${run.state.incidentId}.${step.id}`;
    run.event('runbook.started', `Child runbook ${step.runbook} started as ${childId}`, {
      step: step.id,
      data: { incidentId: childId },
    });
    const result = await executeChild<(input: StartIncident) => Promise<IncidentResult>>('incidentWorkflow', {
      args: [input],
      workflowId: childId,
      ...(step.timeoutMs === undefined ? {} : { workflowExecutionTimeout: step.timeoutMs }),
      ...(step.retry === undefined ? {} : { retry: retryPolicy(step.retry) }),
      typedSearchAttributes: [
        { key: RUNBOOK_ATTRIBUTE, value: step.plan.runbookId },
        { key: SEVERITY_ATTRIBUTE, value: run.state.severity },
        { key: STATUS_ATTRIBUTE, value: 'running' },
      ],
    });
    return result as unknown as JsonValue;
  },
};

/** The child's params: the interpolated `with`, the child's defaults, checked against the child's types. */
function childParams(run: IncidentRun, step: RunbookStep): Record<string, JsonValue> {
  const given = run.json(step.with);
  const params: Record<string, JsonValue> = {};
  for (const [name, spec] of Object.entries(step.plan.params)) {
    let value = own(given, name) ?? spec.default;
    if (value === undefined || value === null) {
      if (spec.required) fail(`child runbook ${step.runbook} needs param ${name}`);
      continue;
    }
    if (spec.type === 'secret') value = secretReference(value);
    else if (spec.type !== 'list' && spec.type !== 'string' && typeof value === 'string')
      value = coerce(spec.type, value);
    const problem = spec.type === 'secret' ? undefined : checkFactValue(spec.type, value);
    if (problem !== undefined) fail(`child runbook ${step.runbook} param ${name}: ${problem}`);
    if (spec.enum && !spec.enum.includes(typeof value === 'string' ? value : JSON.stringify(value)))
      fail(`child runbook ${step.runbook} param ${name} must be one of ${spec.enum.join(', ')}`);
    params[name] = value;
  }
  return params;
}

/** A secret passed through as `${{ params.token }}` arrives as a marker: hand the child the reference. */
function secretReference(value: JsonValue): JsonValue {
  if (typeof value === 'string' && value.startsWith(SECRET_OPEN) && value.endsWith(SECRET_CLOSE)) {
    return value.slice(SECRET_OPEN.length, -SECRET_CLOSE.length);
  }
  return value;
}

function coerce(type: string, value: string): JsonValue {
  if (type === 'integer' || type === 'number') return value.trim() === '' ? value : Number(value);
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function fail(message: string): never {
  throw ApplicationFailure.nonRetryable(message, ErrorCode.InvalidInput);
}
