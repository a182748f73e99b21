/**
 * Loading runbooks as a set: every file parsed and checked, ids unique across files, child runbooks
 * resolved across the set, cycles between runbooks refused, and each valid runbook compiled with its
 * children's plans embedded.
 */
import type { SecretCatalog } from '../secrets/declared.js';
import type { Plan } from '../domain/plan.js';
import type { TemplateCatalog } from '../templating/catalog.js';
import type { ActionCatalog } from './action-catalog.js';
import { checkRunbook, type CheckOptions } from './checks.js';
import { compilePlan, type ValidRunbook } from './compile.js';
import { sortIssues, type DocPath, type Issue, type Result } from '../diagnostics/located-issue.js';
import type { ChildRunbookInfo, InfraCatalog } from './kinds/types.js';
import { parseRunbookBytes, type ParsedRunbook } from './parse.js';
import { forEachParsedStep, stepIdAtPath } from './walk.js';

/** A runbook file's name and bytes. */
export interface RunbookSource {
  file: string;
  bytes: Uint8Array;
}

/** A compiled runbook and the file it came from. */
export interface LoadedRunbook {
  file: string;
  plan: Plan;
}

/** The outcome of loading a set of runbooks: the valid ones by id, and every problem in every file. */
export interface RunbookCatalog {
  runbooks: Map<string, LoadedRunbook>;
  issues: Issue[];
  files: string[];
  /** The id each readable file declares, valid or not (to point at the file of a broken runbook). */
  declaredIds: Map<string, string>;
}

/** What compiling runbooks needs: the action catalog and, optionally, plans already compiled elsewhere. */
export interface CompileOptions {
  actions: ActionCatalog;
  /**
   * Message templates, for `notify` steps: checked against (message and channels exist, variables are
   * available) and embedded into the plan. Without them a runbook with a `notify` step is refused.
   */
  templates?: TemplateCatalog;
  /** Compiled plans that `runbook:` steps may name besides the runbooks being loaded. */
  known?: ReadonlyMap<string, Plan>;
  /**
   * The secrets the config declares: when given, a secret named in a runbook (a `secret` param's default,
   * a literal name passed to a child) must be declared for that runbook.
   */
  secrets?: SecretCatalog;
  /**
   * The configured infrastructure providers: when given, an `infra.*` step naming a provider that is not
   * configured, or one that lacks the step's operation, is refused.
   */
  infra?: InfraCatalog;
}

interface Entry {
  file: string;
  parsed?: ParsedRunbook;
  issues: Issue[];
  /** Child calls: the child id and the path of the calling step. */
  calls: { child: string; path: DocPath }[];
}

/** Parses, checks and compiles a set of runbook files together. */
export function compileRunbookSources(sources: readonly RunbookSource[], options: CompileOptions): RunbookCatalog {
  const entries = sources.map((source): Entry => {
    const { parsed, issues } = parseRunbookBytes(source.file, source.bytes);
    return parsed === undefined
      ? { file: source.file, issues, calls: [] }
      : { file: source.file, parsed, issues, calls: callsOf(parsed) };
  });
  const byId = indexById(entries);
  const lookup = (id: string): ChildRunbookInfo | undefined => childInfo(byId.get(id), options.known?.get(id), id);
  for (const entry of entries) {
    if (entry.parsed) entry.issues.push(...safeCheck(entry.parsed, checkOptions(options, lookup)));
  }
  reportCycles(byId);
  const runbooks = buildAll(byId, options.known ?? new Map(), options.templates);
  const declaredIds = new Map(
    entries.flatMap((entry) => (entry.parsed?.parts.id ? [[entry.file, entry.parsed.parts.id] as const] : [])),
  );
  const issues = sortIssues(entries.flatMap((entry) => entry.issues));
  return { runbooks, issues, files: sources.map((source) => source.file), declaredIds };
}

/** Compiles one runbook file on its own; its children must be among `options.known`. */
export function compileRunbook(source: RunbookSource, options: CompileOptions): Result<Plan> {
  const catalog = compileRunbookSources([source], options);
  const [loaded] = [...catalog.runbooks.values()];
  return loaded && catalog.issues.length === 0
    ? { ok: true, value: loaded.plan }
    : { ok: false, issues: catalog.issues };
}

function checkOptions(options: CompileOptions, runbook: CheckOptions['runbook']): CheckOptions {
  return {
    actions: options.actions,
    runbook,
    ...(options.templates && { templates: options.templates }),
    ...(options.secrets && { secrets: options.secrets }),
    ...(options.infra && { infra: options.infra }),
  };
}

// A bug in a check must not take the whole set down: it becomes a problem of the one file, visibly.
function safeCheck(parsed: ParsedRunbook, options: CheckOptions): Issue[] {
  try {
    return checkRunbook(parsed, options);
  } catch (error) {
    const message = `internal error while checking this runbook: ${error instanceof Error ? error.message : String(error)}`;
    return [parsed.source.issueAt([], message)];
  }
}

function callsOf(parsed: ParsedRunbook): Entry['calls'] {
  const calls: Entry['calls'] = [];
  if (parsed.runbook === undefined) return calls;
  forEachParsedStep(parsed.runbook.steps, ['steps'], (step, path, kind) => {
    const child = kind.childRunbook(step);
    if (child !== undefined) calls.push({ child, path });
  });
  return calls;
}

function indexById(entries: readonly Entry[]): Map<string, Entry> {
  const groups = new Map<string, Entry[]>();
  for (const entry of entries) {
    const id = entry.parsed?.parts.id;
    if (id) groups.set(id, [...(groups.get(id) ?? []), entry]);
  }
  const byId = new Map<string, Entry>();
  for (const [id, group] of groups) {
    const [first] = group;
    if (group.length === 1 && first) {
      byId.set(id, first);
      continue;
    }
    // Neither copy wins: each names the others, and none is loaded until the clash is resolved.
    for (const entry of group) {
      const others = group.filter((other) => other !== entry).map((other) => other.file);
      reportAt(entry, ['id'], `runbook id \`${id}\` is also used by ${others.join(', ')}`);
    }
  }
  return byId;
}

function childInfo(entry: Entry | undefined, known: Plan | undefined, id: string): ChildRunbookInfo | undefined {
  if (entry?.parsed) {
    return { id, file: entry.file, params: entry.parsed.parts.params, valid: entry.parsed.runbook !== undefined };
  }
  if (known) return { id, file: known.source.file, params: known.params, valid: true };
  return undefined;
}

function reportCycles(byId: ReadonlyMap<string, Entry>): void {
  for (const [id, entry] of byId) {
    for (const call of entry.calls) {
      const route = routeBetween(byId, call.child, id, new Set());
      if (route === undefined) continue;
      const cycle = [id, ...route].join(' -> ');
      reportAt(entry, [...call.path, 'runbook'], `runbook cycle: ${cycle}`);
    }
  }
}

/** The chain of runbook ids from `from` to `to` through child calls, when there is one. */
function routeBetween(
  byId: ReadonlyMap<string, Entry>,
  from: string,
  to: string,
  seen: Set<string>,
): string[] | undefined {
  if (from === to) return [to];
  if (seen.has(from)) return undefined;
  seen.add(from);
  for (const call of byId.get(from)?.calls ?? []) {
    const rest = routeBetween(byId, call.child, to, seen);
    if (rest) return [from, ...rest];
  }
  return undefined;
}

function buildAll(
  byId: ReadonlyMap<string, Entry>,
  known: ReadonlyMap<string, Plan>,
  templates: TemplateCatalog | undefined,
): Map<string, LoadedRunbook> {
  const built = new Map<string, Plan | undefined>();
  const build = (id: string): Plan | undefined => {
    if (built.has(id)) return built.get(id);
    built.set(id, undefined); // guards against cycles, which are already reported
    const entry = byId.get(id);
    const plan = entry ? buildEntry(entry, (child) => known.get(child) ?? build(child), templates) : known.get(id);
    built.set(id, plan);
    return plan;
  };
  const runbooks = new Map<string, LoadedRunbook>();
  for (const [id, entry] of byId) {
    const plan = build(id);
    if (plan) runbooks.set(id, { file: entry.file, plan });
  }
  return runbooks;
}

function buildEntry(
  entry: Entry,
  resolve: (id: string) => Plan | undefined,
  templates: TemplateCatalog | undefined,
): Plan | undefined {
  const parsed = entry.parsed;
  if (parsed?.runbook === undefined || entry.issues.length > 0) return undefined;
  const children = new Map<string, Plan>();
  for (const call of entry.calls) {
    const plan = resolve(call.child);
    if (plan) {
      children.set(call.child, plan);
      continue;
    }
    const message = `runbook \`${call.child}\` has problems of its own; fix them before it can be called`;
    reportAt(entry, [...call.path, 'runbook'], message);
  }
  if (entry.issues.length > 0) return undefined;
  const childPlan = (id: string): Plan => {
    const plan = children.get(id);
    // Every call was resolved above; a miss means the calls and the compiled steps disagree.
    if (plan === undefined) throw new Error(`child runbook ${id} was not resolved`);
    return plan;
  };
  try {
    return compilePlan(parsed as ValidRunbook, childPlan, templates);
  } catch (error) {
    reportAt(
      entry,
      [],
      `internal error while compiling this runbook: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

function reportAt(entry: Entry, path: DocPath, message: string): void {
  const source = entry.parsed?.source;
  if (source === undefined) return;
  const stepId = stepIdAtPath(source.value, path);
  entry.issues.push(source.issueAt(path, message, stepId === undefined ? {} : { stepId }));
}
