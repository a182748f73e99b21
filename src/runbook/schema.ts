/**
 * The pieces of the authoring schema shared by the whole runbook: names, durations, references,
 * params, roles, facts, deadlines, retry and the fields every step has. Step kinds add their own
 * fields in `kinds/`; the top-level document is assembled in `runbook-schema.ts`.
 */
import { z } from 'zod';
import { DURATION_PATTERN } from '../domain/duration.js';
import { FACT_TYPES, PARAM_TYPES, SEVERITIES, type JsonValue as JsonValueType } from '../domain/plan.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]*$/;
const ROLE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Any JSON value (the values of `with`, param defaults, and every JSON value the API takes or gives), as
 * one named schema. Its JSON Schema names the kind of value without describing the items of an array or
 * the values of an object again: in a JSON document those are JSON values anyway, and a schema that refers
 * to itself cannot be typed by generated clients (openapi-typescript makes a circular type of it). Its zod
 * schema refers to itself by name, unlike `z.json()`, so no unnamed recursive schema is left to describe.
 */
export const JsonValue: z.ZodType<JsonValueType> = z
  .lazy(() =>
    z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]),
  )
  .meta({
    id: 'JsonValue',
    anyOf: [
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'null' },
      { type: 'array' },
      { type: 'object' },
    ],
  });

/** Text that may not be empty. */
export const Text = z.string().trim().min(1, { error: 'must not be empty' });

/** A name expressions can reach with a dot: params, facts and decisions. */
export const Identifier = z.string().regex(IDENTIFIER, {
  error: 'must be a name usable in expressions: letters, digits and _, not starting with a digit',
});

/** A runbook id: kebab-case, unique across the runbook directories. */
export const RunbookId = z
  .string()
  .regex(KEBAB, { error: 'must be kebab-case: lower-case letters and digits separated by single hyphens' })
  .meta({ description: 'Kebab-case id, unique across the runbook directories.' });

/** A step id: letters, digits, `-` and `_`, starting with a letter. */
export const StepId = z.string().regex(STEP_ID, {
  error: 'must start with a letter and hold only letters, digits, - and _',
});

/** A role name as declared under `roles:`. */
export const RoleName = z.string().regex(ROLE_NAME, {
  error: 'must start with a letter and hold only letters, digits, - and _',
});

/** A duration as runbooks write it: `30s`, `15m`, `4h`, `3d`, `2w`. */
export const Duration = z
  .string({
    error: (issue) => (issue.input === undefined ? undefined : 'expected a duration such as 30s, 15m, 4h, 3d or 2w'),
  })
  .regex(DURATION_PATTERN, { error: 'expected a duration such as 30s, 15m, 4h, 3d or 2w' })
  .meta({ description: 'A whole number and a unit: s, m, h, d or w (30s, 15m, 4h, 3d, 2w).' });
export type Duration = z.infer<typeof Duration>;

/** Who acts: `role:<name>`, a role declared under `roles:`. */
export const RoleRef = z
  .string()
  .regex(/^role:[A-Za-z][A-Za-z0-9_-]*$/, { error: 'expected a role reference such as role:commander' })
  .meta({ description: 'A declared role, written role:<name>.' });
export type RoleRef = z.infer<typeof RoleRef>;

/** Strips the `role:` prefix of a role reference. */
export function roleName(ref: string): string {
  return ref.replace(/^role:/, '');
}

/** How severe an incident is; a trigger may override the runbook's value. */
export const Severity = z.enum(SEVERITIES);

/** An input given at trigger time. */
export const ParamSpec = z
  .strictObject({
    type: z.enum(PARAM_TYPES),
    required: z.boolean().default(false),
    default: JsonValue.optional(),
    enum: z.array(z.string()).min(1, { error: 'an enum needs at least one value' }).optional(),
    description: z.string().optional(),
  })
  .meta({
    description:
      'A trigger input. A secret param takes the name of a secret declared in firebreak.yaml, never a reference or a value.',
  });
export type ParamSpec = z.infer<typeof ParamSpec>;

/** Something responders must establish during the incident. */
export const FactSpec = z.strictObject({
  type: z.enum(FACT_TYPES),
  description: z.string().optional(),
});
export type FactSpec = z.infer<typeof FactSpec>;

/** A role: members given here are merged with the roster from the config file. */
/** How a role signs the messages sent from it (`notify.from`): a name, and a role mailbox if it has one. */
export const RoleSender = z.strictObject({
  name: Text.max(200)
    .regex(/^[^\p{Cc}]*$/u, { error: 'must be one line without control characters' })
    .meta({ description: 'The name messages from this role are signed with, e.g. Data Protection Officer.' }),
  email: z
    .email({ error: 'expected an e-mail address' })
    .optional()
    .meta({ description: "The role's mailbox: the From address (default: channels.email.from)." }),
});
export type RoleSender = z.infer<typeof RoleSender>;

export const RoleSpec = z.strictObject({
  members: z.array(Text).default([]).meta({ description: 'User ids or e-mail addresses, added to the roster.' }),
  description: z.string().optional(),
  sender: RoleSender.optional().meta({
    description: 'Who messages sent from this role (notify.from) are from; never one of its members.',
  }),
  escalateTo: RoleName.optional().meta({ description: 'A declared role that may act once `after` has passed.' }),
  after: Duration.optional(),
});
export type RoleSpec = z.infer<typeof RoleSpec>;

/** A clock that starts when a decision is recorded and is met when a step succeeds. */
export const DeadlineSpec = z.strictObject({
  id: StepId,
  title: Text,
  startsAt: z.string().regex(/^decision:[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected decision:<name>' }),
  within: Duration,
  remind: z.array(Duration).default([]).meta({ description: 'Offsets after the start at which reminders are raised.' }),
  remindTo: RoleRef.optional(),
  metBy: z.string().regex(/^step:[A-Za-z][A-Za-z0-9_-]*$/, { error: 'expected step:<id>' }),
  when: z.string().optional().meta({ description: 'CEL: whether the deadline applies.' }),
});
export type DeadlineSpec = z.infer<typeof DeadlineSpec>;

/** How an `action` or `runbook` step is retried. */
export const RetrySpec = z.strictObject({
  maxAttempts: z.int().min(1, { error: 'must be at least 1' }),
  initialInterval: Duration.optional(),
  maximumInterval: Duration.optional(),
  backoffCoefficient: z.number().min(1, { error: 'must be at least 1' }).optional(),
});
export type RetrySpec = z.infer<typeof RetrySpec>;

/** The fields every step has, whatever its kind. */
export const stepCommonShape = {
  id: StepId,
  title: Text,
  when: z.string().optional().meta({ description: 'CEL condition; when false the step is recorded as skipped.' }),
  timeout: Duration.optional(),
  retry: RetrySpec.optional().meta({ description: 'Only on action, notify and runbook steps.' }),
  onFailure: z.enum(['abort', 'continue']).default('abort'),
  compensate: StepId.optional().meta({
    description: 'Id of an entry in `compensations:`, run if the run aborts later.',
  }),
  tags: z.array(z.string()).default([]),
};

/** The common fields once parsed. */
export type StepCommonInput = z.infer<z.ZodObject<typeof stepCommonShape>>;
