/**
 * The runbook document (format `firebreak/v1`) as a zod schema: the source of truth for the authoring
 * types, for validation and for the JSON Schema editors use.
 */
import { z } from 'zod';
import { RUN_KINDS } from '../domain/plan.js';
import { describeValue } from '../diagnostics/located-issue.js';
import { ActionStepSchema } from './kinds/action.js';
import { StepSchema } from './kinds/index.js';
import {
  DeadlineSpec,
  FactSpec,
  Identifier,
  ParamSpec,
  RoleName,
  RoleRef,
  RoleSpec,
  RunbookId,
  Severity,
  Text,
} from './schema.js';
import { ReviewSpec } from './review-schema.js';

/** The only format version this release reads. */
export const API_VERSION = 'firebreak/v1';

/** `cancel:` who may cancel a run of the runbook through Firebreak (the API and the CLI). */
export const CancelSpec = z
  .strictObject({
    roles: z
      .array(RoleRef)
      .min(1, { error: 'name at least one role that may cancel' })
      .meta({ description: 'Roles whose members may cancel a run.' }),
  })
  .meta({
    description: 'Who may cancel a run. Without it: role:commander when the runbook declares it, else any role holder.',
  });
export type CancelSpec = z.infer<typeof CancelSpec>;

/** A runbook file as written. */
export const RunbookSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION, { error: `expected apiVersion: ${API_VERSION}` }),
    id: RunbookId,
    title: Text,
    version: z
      .int({
        error: (issue) =>
          issue.input === undefined ? undefined : `expected a whole number, got ${describeValue(issue.input)}`,
      })
      .min(1, { error: 'must be at least 1' })
      .meta({
        description: 'Bumped on every change; recorded on every run.',
      }),
    description: z.string().optional(),
    severity: Severity.meta({ description: 'Default severity; a trigger may override it.' }),
    kind: z
      .enum(RUN_KINDS, {
        error: (issue) => `expected incident or job, got ${describeValue(issue.input)}`,
      })
      .default('incident')
      .meta({
        description:
          'What a run is: an incident (default), or a scheduled job such as a backup or a drill, which incident lists leave out unless asked.',
      }),
    tags: z.array(z.string()).default([]),
    params: z.record(Identifier, ParamSpec).default({}).meta({ description: 'Inputs given at trigger time.' }),
    roles: z.record(RoleName, RoleSpec).default({}).meta({ description: 'Who acts; members merge with the roster.' }),
    facts: z.record(Identifier, FactSpec).default({}).meta({ description: 'What responders must establish.' }),
    deadlines: z.array(DeadlineSpec).default([]).meta({ description: 'Clocks that start from a recorded decision.' }),
    cancel: CancelSpec.optional(),
    review: ReviewSpec.optional(),
    steps: z.array(StepSchema).min(1, { error: 'a runbook needs at least one step' }),
    compensations: z.array(ActionStepSchema).default([]).meta({
      description: 'Action steps run in reverse order of registration when a run aborts.',
    }),
  })
  .meta({
    title: 'Firebreak runbook',
    description: 'A pre-decided response to one incident scenario (format firebreak/v1).',
  });
export type Runbook = z.infer<typeof RunbookSchema>;
