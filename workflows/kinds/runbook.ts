/** `runbook` steps: a child runbook run as a child incident workflow, with its own frozen plan. */
import { ApplicationFailure, executeChild, patched } from '@temporalio/workflow';
import { ErrorCode } from '../../src/domain/errors.js';
import type { JsonValue, RunbookStep } from '../../src/domain/plan.js';
import type { SecretSlot } from '../../src/domain/secret-slots.js';
import {
  KIND_ATTRIBUTE_PATCH,
  kindAttribute,
  RUNBOOK_ATTRIBUTE,
  SEVERITY_ATTRIBUTE,
  STATUS_ATTRIBUTE,
} from '../../src/domain/search-attributes.js';
import { hasOwn } from '../../src/domain/own.js';
import { checkFactValue } from '../../src/domain/values.js';
import { retryPolicy } from '../activity-calls.js';
import type { IncidentResult, StartIncident } from '../definitions.js';
import type { IncidentRun } from '../run.js';
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
      staticSummary: `${step.plan.title} (${step.plan.runbookId} v${step.plan.version}), child of ${run.state.incidentId}`,
      ...(step.timeoutMs === undefined ? {} : { workflowExecutionTimeout: step.timeoutMs }),
      ...(step.retry === undefined ? {} : { retry: retryPolicy(step.retry) }),
      typedSearchAttributes: [
        { key: RUNBOOK_ATTRIBUTE, value: step.plan.runbookId },
        { key: SEVERITY_ATTRIBUTE, value: run.state.severity },
        { key: STATUS_ATTRIBUTE, value: 'running' },
        // The child is listed by its own runbook's kind.
        ...(patched(KIND_ATTRIBUTE_PATCH) ? [kindAttribute(step.plan)] : []),
      ],
    });
    return result as unknown as JsonValue;
  },
};

/** The child's params: the interpolated `with`, the child's defaults, checked against the child's types. */
function childParams(run: IncidentRun, step: RunbookStep): Record<string, JsonValue> {
  const given = run.interpolateInput(step.with);
  const slots = new Map(given.secrets.map((slot) => [String(slot.path[0]), slot]));
  const params: Record<string, JsonValue> = {};
  for (const [name, spec] of Object.entries(step.plan.params)) {
    const slot = slots.get(name);
    if (spec.type === 'secret') {
      // A child's secret is one of this run's secret params passed whole, or a name the runbook file writes
      // literally; never the text of an interpolation, which may hold anything from outside.
      const written = hasOwn(step.with, name) ? step.with[name] : undefined;
      const literal = typeof written === 'string' && !written.includes('${{') ? written : undefined;
      const secret = slot === undefined ? literal : wholeSecret(slot);
      if (written !== undefined && secret === undefined)
        fail(`child runbook ${step.runbook} param ${name} is a secret: pass one of this runbook's secret params`);
      const value = secret ?? spec.default;
      if (value === undefined || value === null) {
        if (spec.required) fail(`child runbook ${step.runbook} needs param ${name}`);
        continue;
      }
      params[name] = value;
      continue;
    }
    if (slot !== undefined)
      fail(`child runbook ${step.runbook} param ${name} is not a secret: a secret cannot go there`);
    let value = hasOwn(given.value, name) ? given.value[name] : spec.default;
    if (value === undefined || value === null) {
      if (spec.required) fail(`child runbook ${step.runbook} needs param ${name}`);
      continue;
    }
    if (spec.type !== 'list' && spec.type !== 'string' && typeof value === 'string') value = coerce(spec.type, value);
    const problem = checkFactValue(spec.type, value);
    if (problem !== undefined) fail(`child runbook ${step.runbook} param ${name}: ${problem}`);
    if (spec.enum && !spec.enum.includes(typeof value === 'string' ? value : JSON.stringify(value)))
      fail(`child runbook ${step.runbook} param ${name} must be one of ${spec.enum.join(', ')}`);
    params[name] = value;
  }
  return params;
}

/** The declared secret's name when a slot is exactly one secret param, `${{ params.token }}` alone. */
function wholeSecret(slot: SecretSlot): string | undefined {
  const only = slot.parts[0];
  return slot.path.length === 1 && slot.parts.length === 1 && only !== undefined && 'secret' in only
    ? only.secret
    : undefined;
}

function coerce(type: string, value: string): JsonValue {
  if (type === 'integer' || type === 'number') return value.trim() === '' ? value : Number(value);
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function fail(message: string): never {
  throw ApplicationFailure.nonRetryable(message, ErrorCode.InvalidInput);
}
