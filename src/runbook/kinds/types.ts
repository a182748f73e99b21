/**
 * The contract between shared runbook code and one step kind. Each kind declares its schema, its
 * reference checks and its compilation in one file; shared code only ever calls these hooks, so adding a
 * kind never means editing a switch.
 */
import type { SecretCatalog } from '../../secrets/declared.js';
import type { z } from 'zod';
import type { JsonObject, Plan, RoleRef, StepCommon, StepPlan } from '../../domain/plan.js';
import type { TemplateCatalog } from '../../templating/catalog.js';
import type { ActionCatalog } from '../action-catalog.js';
import type { DocPath } from '../../diagnostics/located-issue.js';
import type { FactSpec, ParamSpec, RoleSpec, StepCommonInput } from '../schema.js';

/** A parsed step of any kind: the common fields plus the kind's own. */
export type AuthoringStep = StepCommonInput & { readonly [key: string]: unknown };

/** What a child runbook exposes to the parent that calls it. */
export interface ChildRunbookInfo {
  id: string;
  file: string;
  params: Record<string, ParamSpec>;
  /** False when the child's own file has problems: it cannot be embedded, but its own issues say why. */
  valid: boolean;
}

/** What a kind's reference checks may use. Paths are relative to the step being checked. */
export interface StepCheckContext {
  report(path: DocPath, message: string, options?: { key?: boolean }): void;
  /** Reports a `role:<name>` reference to a role the runbook does not declare. */
  checkRole(path: DocPath, ref: string): void;
  /** Reports a fact name the runbook does not declare. */
  checkFact(path: DocPath, name: string): void;
  /** Checks a value against a zod schema, ignoring problems where the value is a `${{ }}` template. */
  checkInput(path: DocPath, schema: z.ZodType, value: unknown): void;
  /**
   * The value as written at a path, before the schema: a field the schema refused is missing from the
   * parsed step, and a check that it is present would report it a second time.
   */
  written(path: DocPath): unknown;
  /** Checks nested steps (parallel branches) as steps in their own right. */
  checkSteps(steps: readonly AuthoringStep[], path: DocPath): void;
  /** The runbook's own params, for kinds that pass values on. */
  params: Readonly<Record<string, ParamSpec>>;
  /** The runbook's own roles, for kinds that depend on escalation. */
  roles: Readonly<Record<string, RoleSpec>>;
  /** The runbook's own facts. */
  facts: Readonly<Record<string, FactSpec>>;
  /** Decision names declared by decision steps (including steps that failed the schema). */
  decisions: ReadonlySet<string>;
  /** Ids of steps and parallel branches: what a step may refer to (compensations excluded). */
  stepIds: ReadonlySet<string>;
  /** Ids of the entries under `compensations:`. */
  compensationIds: ReadonlySet<string>;
  /** Facts some step records (a task's `sets`), anywhere in the runbook, parallel branches included. */
  factsSet: ReadonlySet<string>;
  /** Message templates, for `notify` steps; undefined when none were loaded. */
  templates?: TemplateCatalog;
  /** The declared secrets, when the config is known. */
  secrets?: SecretCatalog;
  actions: ActionCatalog;
  /** A loaded runbook by id, or undefined when none is loaded with that id. */
  runbook(id: string): ChildRunbookInfo | undefined;
  /** The id of the runbook being checked (a child may not be itself). */
  runbookId: string;
  /** Where the step being checked is in the document (`['steps', 3]`, `['compensations', 0]`). */
  path: DocPath;
  /** A step (not a compensation) by id, with where it is; undefined when there is none. */
  stepAt(id: string): { step: AuthoringStep; path: DocPath } | undefined;
  /** The configured infrastructure providers and their capabilities, when the config is known. */
  infra?: InfraCatalog;
}

/** The configured infrastructure providers, as validation sees them: what each supports. */
export interface InfraCatalog {
  /** The provider's kind and capabilities, or undefined when none of that name is configured. */
  provider(name: string): { kind: string; capabilities: ReadonlySet<string> } | undefined;
  names(): string[];
}

/** What a kind's compilation may use. Paths are relative to the step being compiled. */
export interface StepCompileContext {
  /** The compiled common fields (durations in ms, source location). */
  common(step: AuthoringStep): StepCommon;
  ms(duration: string): number;
  role(ref: string): RoleRef;
  json(value: unknown): JsonObject;
  compileSteps(steps: readonly AuthoringStep[], path: DocPath): StepPlan[];
  /** The compiled plan of a child runbook (already checked to exist and be acyclic). */
  childPlan(id: string): Plan;
  /** Message templates, for `notify` steps (already checked to hold what the step uses). */
  templates?: TemplateCatalog;
}

/**
 * One step kind as its file declares it, with its own types: its schema, its checks, its compilation and
 * how `runbook show` describes it. What a compiled step nests or records is in `src/domain/step-kinds.ts`.
 */
export interface StepKindSpec<T extends AuthoringStep, P extends StepPlan> {
  /** The field that names the kind in YAML (`action: http.request`). */
  key: string;
  planKind: P['kind'];
  /** One line for docs and messages. */
  summary: string;
  schema: z.ZodType<T>;
  /** Whether `retry` means anything for this kind. */
  supportsRetry: boolean;
  /** Top-level fields whose strings may interpolate a secret param (`with` for actions). */
  secretsAllowedIn: readonly string[];
  /** The field holding nested steps, when the kind has them (`parallel`). */
  nestedStepsKey?: string;
  /** A runbook may hold at most one step of this kind, parallel branches included (`postmortem`). */
  oncePerRunbook?: boolean;
  /** The decision this step declares, when it declares one. */
  decision?(step: T): { name: string; options?: string[] } | undefined;
  /** The child runbook this step calls, when it calls one. */
  childRunbook?(step: T): string | undefined;
  /** The facts this step records (a task's `sets`). Also called on raw steps that failed the schema. */
  factsSet?(step: T): readonly unknown[] | undefined;
  check(step: T, ctx: StepCheckContext): void;
  compile(step: T, ctx: StepCompileContext): P;
  /** The key fields of a compiled step, for people (`action http.request`). */
  describe(step: P): string;
}

/** A step kind with its types erased, as the registry holds it (the plan's kind names are `StepKind`). */
export interface StepKindDefinition {
  key: string;
  planKind: StepPlan['kind'];
  summary: string;
  schema: z.ZodType<AuthoringStep>;
  supportsRetry: boolean;
  secretsAllowedIn: readonly string[];
  nestedStepsKey?: string;
  oncePerRunbook: boolean;
  decision(step: AuthoringStep): { name: string; options?: string[] } | undefined;
  childRunbook(step: AuthoringStep): string | undefined;
  /** Fact names this step records; only strings, whatever the step holds. */
  factsSet(step: AuthoringStep): string[];
  check(step: AuthoringStep, ctx: StepCheckContext): void;
  compile(step: AuthoringStep, ctx: StepCompileContext): StepPlan;
  describe(step: StepPlan): string;
}

/**
 * Erases a kind's types for the registry. The casts are sound because the registry only hands a kind
 * the steps it recognised by key (authoring) or by `kind` (plans).
 */
export function defineKind<T extends AuthoringStep, P extends StepPlan>(def: StepKindSpec<T, P>): StepKindDefinition {
  const kind: StepKindDefinition = {
    key: def.key,
    planKind: def.planKind,
    summary: def.summary,
    schema: def.schema,
    supportsRetry: def.supportsRetry,
    secretsAllowedIn: def.secretsAllowedIn,
    oncePerRunbook: def.oncePerRunbook === true,
    decision: (step) => def.decision?.(step as T),
    childRunbook: (step) => def.childRunbook?.(step as T),
    factsSet: (step) => {
      const sets = def.factsSet?.(step as T);
      return Array.isArray(sets) ? sets.filter((name): name is string => typeof name === 'string') : [];
    },
    check: (step, ctx) => def.check(step as T, ctx),
    compile: (step, ctx) => def.compile(step as T, ctx),
    describe: (step) => def.describe(step as P),
  };
  if (def.nestedStepsKey !== undefined) kind.nestedStepsKey = def.nestedStepsKey;
  return kind;
}
