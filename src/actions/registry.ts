/**
 * The action registry: the actions a worker can run, looked up by name. `builtinActionCatalog` offers the
 * names and input schemas without any configuration, for runbook validation.
 */
import type { z } from 'zod';
import type { SecretPathPattern } from '../domain/secret-slots.js';
import type { InfraOperation } from '../infra/types.js';
import { backupActionSpecs } from './backup/index.js';
import { commandRunAction, commandRunSpec, type CommandRunOptions } from './command-run.js';
import { httpRequestAction, httpRequestSpec, type HttpRequestOptions } from './http-request.js';
import { infraActionSpecs } from './infra/index.js';
import { postmortemActionSpecs } from './postmortem/index.js';
import { timelineNoteAction, timelineNoteSpec } from './timeline-note.js';
import type { ActionDefinition, ActionSpec } from './types.js';

/** Names and input schemas of actions: what a runbook validator needs to know. */
export interface ActionCatalog {
  has(name: string): boolean;
  inputSchema(name: string): z.ZodType | undefined;
  /** Where in `with` the action takes secrets; empty when it takes none. */
  secretInputs(name: string): readonly SecretPathPattern[];
  names(): string[];
  /** What else a step naming the action must satisfy (an infra operation, a preceding approval). */
  rules?(name: string): ActionRules;
}

/** The constraints an action puts on the steps that name it, beyond its input schema. */
export interface ActionRules {
  /** The provider named by `with.provider` must support this infrastructure operation. */
  infraOperation?: InfraOperation;
  /** The step must name a preceding approval with at least this many distinct people (`requires: approval:<step>`). */
  approval?: { distinct: number };
}

/** The runnable actions of a worker. */
export interface ActionRegistry extends ActionCatalog {
  get(name: string): ActionDefinition | undefined;
}

/** Configuration of the built-in actions (the `actions` section of the config file). */
export interface BuiltinActionOptions {
  http: HttpRequestOptions;
  command: CommandRunOptions;
}

function indexByName<T extends ActionSpec>(entries: readonly T[]): Map<string, T> {
  const byName = new Map<string, T>();
  for (const entry of entries) {
    if (byName.has(entry.name)) throw new Error(`action ${entry.name} is registered twice`);
    byName.set(entry.name, entry);
  }
  return byName;
}

function catalogOf(byName: ReadonlyMap<string, ActionSpec>): ActionCatalog {
  return {
    has: (name) => byName.has(name),
    inputSchema: (name) => byName.get(name)?.input,
    secretInputs: (name) => byName.get(name)?.secretInputs ?? [],
    names: () => [...byName.keys()].sort(),
    rules(name) {
      const spec = byName.get(name);
      return {
        ...(spec?.infraOperation === undefined ? {} : { infraOperation: spec.infraOperation }),
        ...(spec?.approval === undefined ? {} : { approval: spec.approval }),
      };
    },
  };
}

/** Creates a registry over the given definitions; a duplicate name is a programming error and throws. */
export function createActionRegistry(definitions: readonly ActionDefinition[]): ActionRegistry {
  const byName = indexByName(definitions);
  return { ...catalogOf(byName), get: (name) => byName.get(name) };
}

/** The built-in actions, configured: `http.request`, `command.run` and `timeline.note`. */
export function builtinActions(options: BuiltinActionOptions): ActionDefinition[] {
  return [httpRequestAction(options.http), commandRunAction(options.command), timelineNoteAction];
}

/**
 * Names and input schemas of the built-in actions, of the backup/restore actions (which the worker builds
 * over `backups` in the config), of the post-mortem actions and of the infra actions (built over `infra`
 * and `evidence`), usable without configuration.
 */
export const builtinActionCatalog: ActionCatalog = catalogOf(
  indexByName<ActionSpec>([
    httpRequestSpec,
    commandRunSpec,
    timelineNoteSpec,
    ...backupActionSpecs,
    ...postmortemActionSpecs,
    ...infraActionSpecs,
  ]),
);
