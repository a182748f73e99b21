/**
 * What the runbook validator needs to know about actions: which names exist and the schema of each
 * one's `with`. The real catalog comes from `src/actions/registry.ts`; tests build their own.
 */
import type { z } from 'zod';
import type { SecretPathPattern } from '../domain/secret-slots.js';
import type { InfraOperation } from '../infra/types.js';

/** The actions a runbook may name, with the zod schema of each one's input. */
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

/** An action as the catalog sees it: a name and the schema of its `with`. */
export interface ActionCatalogEntry {
  name: string;
  input?: z.ZodType;
  secretInputs?: readonly SecretPathPattern[];
  infraOperation?: InfraOperation;
  approval?: { distinct: number };
}

/** Builds a catalog from a list of action specs (anything with `name` and `input`). */
export function createActionCatalog(entries: readonly ActionCatalogEntry[]): ActionCatalog {
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  return {
    has: (name) => byName.has(name),
    inputSchema: (name) => byName.get(name)?.input,
    secretInputs: (name) => byName.get(name)?.secretInputs ?? [],
    names: () => [...byName.keys()].sort(),
    rules(name) {
      const entry = byName.get(name);
      return {
        ...(entry?.infraOperation === undefined ? {} : { infraOperation: entry.infraOperation }),
        ...(entry?.approval === undefined ? {} : { approval: entry.approval }),
      };
    },
  };
}
