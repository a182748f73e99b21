/** `runbook`: runs another runbook as a child, with `with` as its params. */
import { z } from 'zod';
import type { RunbookStep } from '../../domain/plan.js';
import { JsonValue, RunbookId, stepCommonShape } from '../schema.js';
import { isTemplate, wholeParamReference } from '../templates.js';
import { coerceParamValue } from '../trigger-params.js';
import { defineKind, type ChildRunbookInfo, type StepCheckContext } from './types.js';
import { hasOwn, own } from '../../domain/own.js';

const RunbookStepSchema = z
  .strictObject({
    ...stepCommonShape,
    runbook: RunbookId.meta({ description: 'The id of another runbook, run as a child.' }),
    with: z
      .record(z.string(), JsonValue)
      .default({})
      .meta({ description: "The child's params; strings may embed ${{ }}." }),
  })
  .meta({ id: 'RunbookStep', description: 'Runs another runbook as a child.' });
type RunbookStepInput = z.infer<typeof RunbookStepSchema>;

/** The `runbook` step kind. */
export const runbookKind = defineKind<RunbookStepInput, RunbookStep>({
  key: 'runbook',
  planKind: 'runbook',
  summary: 'runs another runbook as a child, with `with` as its params',
  schema: RunbookStepSchema,
  supportsRetry: true,
  secretsAllowedIn: ['with'],
  childRunbook: (step) => step.runbook,
  check(step, ctx) {
    const child = ctx.runbook(step.runbook);
    if (child === undefined) {
      ctx.report(['runbook'], `unknown runbook \`${step.runbook}\`: no loaded runbook has this id`);
      return;
    }
    // A child with problems of its own reports them in its own file; its params cannot be trusted here.
    if (child.valid) checkChildParams(step, child, ctx);
  },
  compile: (step, ctx) => ({
    kind: 'runbook',
    ...ctx.common(step),
    runbook: step.runbook,
    with: ctx.json(step.with),
    plan: ctx.childPlan(step.runbook),
  }),
  describe: (step) => `runbook ${step.runbook} (version ${step.plan.version})`,
});

function checkChildParams(step: RunbookStepInput, child: ChildRunbookInfo, ctx: StepCheckContext): void {
  const declared = Object.keys(child.params);
  for (const [name, value] of Object.entries(step.with)) {
    const spec = own(child.params, name);
    if (spec === undefined) {
      ctx.report(
        ['with', name],
        `runbook \`${child.id}\` has no param \`${name}\` (its params: ${declared.join(', ') || 'none'})`,
        {
          key: true,
        },
      );
      continue;
    }
    if (isTemplate(value)) {
      checkTemplatePassing(ctx, ['with', name], value, spec.type === 'secret', `${child.id}.${name}`);
      continue;
    }
    const coerced = coerceParamValue(spec, value);
    if (!coerced.ok) ctx.report(['with', name], `param \`${name}\` of runbook \`${child.id}\`: ${coerced.message}`);
    const problem =
      coerced.ok && spec.type === 'secret' && typeof coerced.value === 'string'
        ? ctx.secrets?.problem(coerced.value, child.id)
        : undefined;
    if (problem !== undefined) ctx.report(['with', name], `param \`${name}\` of runbook \`${child.id}\`: ${problem}`);
  }
  for (const [name, spec] of Object.entries(child.params)) {
    if (spec.required && spec.default === undefined && !hasOwn(step.with, name)) {
      ctx.report(['with'], `runbook \`${child.id}\` requires param \`${name}\`: give it under \`with\``, { key: true });
    }
  }
}

// A secret travels to a child only as a whole reference to one of this runbook's secret params, and
// never into a param that is not secret (the child would show it in clear).
function checkTemplatePassing(
  ctx: StepCheckContext,
  path: string[],
  value: string,
  childSecret: boolean,
  target: string,
): void {
  const reference = wholeParamReference(value);
  const parentSecret = reference !== undefined && ctx.params[reference]?.type === 'secret';
  if (childSecret && !parentSecret) {
    ctx.report(
      path,
      `\`${target}\` is a secret param: pass the name of a declared secret or \${{ params.<secret param> }}`,
    );
  } else if (!childSecret && parentSecret) {
    ctx.report(path, `secret param \`${reference}\` cannot be passed to \`${target}\`, which is not a secret param`);
  }
}
