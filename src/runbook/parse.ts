/**
 * From file bytes to a parsed runbook: YAML with positions, then the zod schema, with every schema
 * problem located. When the schema fails, the parts that are valid on their own are kept (and the
 * names the rest declare), so reference checks still run and one mistake is reported once.
 */
import { createHash } from 'node:crypto';
import { FACT_TYPES, PARAM_TYPES, type FactType, type ParamType } from '../domain/plan.js';
import { describeValue, type DocPath, type Issue } from '../diagnostics/located-issue.js';
import { ActionStepSchema, type ActionStepInput } from './kinds/action.js';
import { kindKeysOf, NESTED_STEP_KEYS, STEP_KIND_REGISTRY, StepSchema, type AuthoringStep } from './kinds/index.js';
import { CancelSpec, RunbookSchema, type Runbook } from './runbook-schema.js';
import { ReviewSpec } from './review-schema.js';
import {
  DeadlineSpec,
  FactSpec,
  ParamSpec,
  RoleSpec,
  type FactSpec as Fact,
  type ParamSpec as Param,
} from './schema.js';
import { parseYamlSource, type SourceDocument } from '../diagnostics/yaml-source.js';
import { forEachRawStep, rawKindOf, stepIdAtPath } from './walk.js';
import { mapZodIssues, type UnionChoice } from '../diagnostics/zod-issues.js';

/** The sections reference checks read. Array entries are undefined where that entry failed the schema. */
export interface RunbookParts {
  id: string;
  params: Record<string, Param>;
  roles: Record<string, RoleSpec>;
  facts: Record<string, Fact>;
  deadlines: (DeadlineSpec | undefined)[];
  /** `cancel:`, when written and valid. */
  cancel?: CancelSpec | undefined;
  /** `review:`, when written and valid. */
  review?: ReviewSpec | undefined;
  steps: (AuthoringStep | undefined)[];
  compensations: (ActionStepInput | undefined)[];
}

/** A runbook file after YAML and schema: the whole runbook when valid, its valid parts in any case. */
export interface ParsedRunbook {
  source: SourceDocument;
  /** `sha256:<hex>` of the file's bytes. */
  contentHash: string;
  runbook?: Runbook;
  parts: RunbookParts;
  /** Decision names declared by steps that failed the schema, still counted as declared. */
  salvagedDecisions: Map<string, boolean>;
}

/** Parses one runbook file. `parsed` is absent only when the YAML itself could not be read. */
export function parseRunbookBytes(file: string, bytes: Uint8Array): { parsed?: ParsedRunbook; issues: Issue[] } {
  const contentHash = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const yaml = parseYamlSource(file, new TextDecoder('utf-8').decode(bytes));
  if (!yaml.ok) return { issues: yaml.issues };
  const source = yaml.value;
  const result = RunbookSchema.safeParse(source.value);
  if (result.success) {
    return {
      parsed: { source, contentHash, runbook: result.data, parts: result.data, salvagedDecisions: new Map() },
      issues: [],
    };
  }
  const issues = mapZodIssues(result.error.issues, source, {
    resolveUnion: resolveStepUnion,
    stepIdAt: (path) => stepIdAtPath(source.value, path),
  });
  const parts = salvage(source.value);
  return { parsed: { source, contentHash, parts, salvagedDecisions: salvageDecisions(source.value) }, issues };
}

// For a step, the kind key the author wrote says which branch they meant. Other unions (a notify step's
// `repeat`) are left to the closest branch.
function resolveStepUnion(path: DocPath, raw: unknown): UnionChoice | undefined {
  const holder = path[path.length - 2];
  if (typeof path[path.length - 1] !== 'number' || (holder !== 'steps' && !NESTED_STEP_KEYS.includes(String(holder)))) {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { message: `expected a step (a mapping with id, title and one kind), got ${describeValue(raw)}` };
  }
  const { available, unavailable } = kindKeysOf(raw);
  const [blocked] = unavailable;
  if (blocked) return { message: blocked.message, path: [...path, blocked.key], key: true };
  const [first, second] = available;
  if (!first) return { message: `a step needs one kind: ${STEP_KIND_REGISTRY.map((kind) => kind.key).join(', ')}` };
  if (second) {
    const keys = available.map((kind) => `\`${kind.key}\``).join(' and ');
    return { message: `a step has exactly one kind, but this one has ${keys}`, path: [...path, second.key], key: true };
  }
  return { branch: STEP_KIND_REGISTRY.indexOf(first) };
}

function salvage(raw: unknown): RunbookParts {
  const doc = asRecord(raw);
  const id = typeof doc.id === 'string' ? doc.id : '';
  return {
    id,
    params: salvageRecord(
      doc.params,
      (value) => ParamSpec.safeParse(value),
      (value) => ({ type: typeOf(value, PARAM_TYPES), required: false }),
    ),
    roles: salvageRecord<RoleSpec>(
      doc.roles,
      (value) => RoleSpec.safeParse(value),
      () => ({ members: [] }),
    ),
    facts: salvageRecord(
      doc.facts,
      (value) => FactSpec.safeParse(value),
      (value) => ({ type: typeOf(value, FACT_TYPES) }),
    ),
    deadlines: salvageList(doc.deadlines, (value) => DeadlineSpec.safeParse(value)),
    cancel: CancelSpec.safeParse(doc.cancel).data,
    review: ReviewSpec.safeParse(doc.review).data,
    // A step is parsed with its own kind's schema, so that its issues point into it rather than at a union.
    steps: salvageList(doc.steps, (value) => (rawKindOf(value)?.schema ?? StepSchema).safeParse(value)),
    compensations: salvageList(doc.compensations, (value) => ActionStepSchema.safeParse(value)),
  };
}

type SafeResult<T> = { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssue[] } };

/** The parts of a zod issue salvaging reads. */
interface SchemaIssue {
  code: string;
  path: PropertyKey[];
  keys?: string[];
  /** For `invalid_union`: each branch's issues, with paths relative to the union's. */
  errors?: readonly (readonly SchemaIssue[])[];
}

/** How many times an entry is parsed again with what failed left out (nested failures need a round each). */
const SALVAGE_ROUNDS = 8;

function salvageRecord<T>(
  raw: unknown,
  parse: (value: unknown) => SafeResult<T>,
  fallback: (value: unknown) => T,
): Record<string, T> {
  // A declaration that fails the schema still declares its name, so references to it are not reported too.
  const out: Record<string, T> = {};
  for (const [name, value] of Object.entries(asRecord(raw))) {
    const result = parse(value);
    out[name] = result.success ? result.data : fallback(value);
  }
  return out;
}

function salvageList<T>(raw: unknown, parse: (value: unknown) => SafeResult<T>): (T | undefined)[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((value: unknown) => salvageEntry(value, parse));
}

/**
 * An entry that fails the schema is parsed again without what failed (unknown keys, invalid optional
 * fields), so that its other fields are still checked in the same run: a step with a misspelt key still
 * has its unknown decision reported. Its problems are already reported; the copy is only read by the
 * reference checks, never compiled. An entry missing a required field stays out.
 */
function salvageEntry<T>(value: unknown, parse: (value: unknown) => SafeResult<T>): T | undefined {
  let candidate: unknown = value;
  for (let round = 0; round < SALVAGE_ROUNDS; round++) {
    const result = parse(candidate);
    if (result.success) return result.data;
    if (round === 0) candidate = structuredClone(value);
    if (!dropFailing(candidate, result.error.issues)) return undefined;
  }
  return undefined;
}

/** Deletes what each issue points at from a plain object tree; false when nothing could be deleted. */
function dropFailing(root: unknown, issues: readonly SchemaIssue[], prefix: readonly (string | number)[] = []): boolean {
  let dropped = false;
  for (const issue of issues) {
    const path = [...prefix, ...issue.path.filter((key): key is string | number => typeof key !== 'symbol')];
    if (issue.code === 'invalid_union') {
      // A nested step (a parallel branch): follow the branch of the kind its author wrote.
      const kind = rawKindOf(valueAt(root, path));
      const branch = kind === undefined ? undefined : issue.errors?.[STEP_KIND_REGISTRY.indexOf(kind)];
      if (branch !== undefined) dropped = dropFailing(root, branch, path) || dropped;
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      const holder = asRecord(valueAt(root, path));
      for (const key of issue.keys ?? []) dropped = delete holder[key] || dropped;
      continue;
    }
    // A required field that failed comes back as missing: then the field holding it goes (`retry` for a bad
    // `retry.maxAttempts`), until a required field of the entry itself is missing.
    let at = path;
    while (at.length > 0 && valueAt(root, at) === undefined) at = at.slice(0, -1);
    dropped = dropKey(root, at) || dropped;
  }
  return dropped;
}

/** Deletes an object's key; a list item is kept, since deleting it would shift its siblings. */
function dropKey(root: unknown, path: readonly (string | number)[]): boolean {
  const key = path[path.length - 1];
  const holder = valueAt(root, path.slice(0, -1));
  if (typeof key !== 'string' || holder === null || typeof holder !== 'object' || Array.isArray(holder)) return false;
  return delete (holder as Record<string, unknown>)[key];
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let here = root;
  for (const key of path) {
    if (here === null || typeof here !== 'object') return undefined;
    here = Object.hasOwn(here, key) ? (here as Record<string | number, unknown>)[key] : undefined;
  }
  return here;
}

function salvageDecisions(raw: unknown): Map<string, boolean> {
  const names = new Map<string, boolean>();
  forEachRawStep(asRecord(raw).steps, ['steps'], (step) => {
    const decision = rawKindOf(step)?.decision(step as AuthoringStep);
    if (typeof decision?.name === 'string') names.set(decision.name, Array.isArray(decision.options));
  });
  return names;
}

function typeOf<T extends ParamType | FactType>(value: unknown, allowed: readonly T[]): T {
  const type = asRecord(value).type;
  return allowed.find((candidate) => candidate === type) ?? ('string' as T);
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
