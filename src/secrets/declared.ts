/**
 * The secrets a deployment lets runbooks use: `secrets:` in firebreak.yaml maps a name to a reference
 * (`env:NAME`, `file:PATH`), optionally for some runbooks only. A runbook's `secret` param takes one of
 * these names, checked at trigger; the action that uses it resolves the name here, at the moment of use.
 * No other reference is reachable from a runbook: not the worker's other variables, not any other file.
 */
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { SecretResolver } from './resolver.js';

/** A secret's name as runbooks and triggers give it: a letter, then letters, digits, `_`, `-` or `.`. */
export const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** One entry of `secrets:`: where the value lives, and which runbooks may use it (all when absent). */
export interface DeclaredSecret {
  reference: string;
  runbooks?: readonly string[];
  description?: string;
}

/** The declared secrets, by name; own entries only (a Map), so no name can reach a prototype. */
export interface SecretCatalog {
  /** Why `runbook` may not use the secret `name`, or undefined when it may. Never repeats a value. */
  problem(name: string, runbook: string | undefined): string | undefined;
  /** The names `runbook` may use, sorted (for messages). */
  namesFor(runbook: string | undefined): string[];
  /** The declaration of a name, when there is one. */
  get(name: string): DeclaredSecret | undefined;
}

/** Builds the catalog from `secrets:` as loaded (a record of own entries, or a map). */
export function createSecretCatalog(
  declared: ReadonlyMap<string, DeclaredSecret> | Readonly<Record<string, DeclaredSecret>> = {},
): SecretCatalog {
  const byName = new Map<string, DeclaredSecret>(declared instanceof Map ? declared : Object.entries(declared));
  const usable = (secret: DeclaredSecret, runbook: string | undefined) =>
    secret.runbooks === undefined || (runbook !== undefined && secret.runbooks.includes(runbook));
  const namesFor = (runbook: string | undefined) =>
    [...byName]
      .filter(([, secret]) => usable(secret, runbook))
      .map(([name]) => name)
      .sort();
  return {
    get: (name) => byName.get(name),
    namesFor,
    problem(name, runbook) {
      const available = () => namesFor(runbook).join(', ') || 'none';
      if (!SECRET_NAME.test(name)) {
        return `expected the name of a secret declared under \`secrets\` in firebreak.yaml (available: ${available()}), never a reference or a value`;
      }
      const secret = byName.get(name);
      // The name is not repeated: a value given by mistake (a token pasted in) must not land in a log.
      if (secret === undefined)
        return `no secret of that name is declared in firebreak.yaml (available: ${available()})`;
      if (!usable(secret, runbook))
        return `secret \`${name}\` is not declared for runbook \`${runbook ?? 'unknown'}\` (available: ${available()})`;
      return undefined;
    },
  };
}

/** Resolves declared secrets by name for one runbook; everything else is refused. */
export interface DeclaredSecretResolver {
  resolve(name: string, runbook: string | undefined): Promise<string>;
}

/**
 * Resolves a declared name through the reference the config gives it, and only that. Incidents started
 * before secrets were declared hold a reference instead of a name: it resolves only when it is exactly the
 * reference of a secret declared for that runbook, so it reaches nothing the config does not list.
 */
export function createDeclaredSecretResolver(catalog: SecretCatalog, resolver: SecretResolver): DeclaredSecretResolver {
  return {
    async resolve(name, runbook) {
      const legacy = SECRET_NAME.test(name)
        ? undefined
        : catalog.namesFor(runbook).find((declared) => catalog.get(declared)?.reference === name);
      const problem = catalog.problem(legacy ?? name, runbook);
      if (problem !== undefined) throw new FirebreakError(ErrorCode.SecretUnavailable, `secret refused: ${problem}`);
      const secret = catalog.get(legacy ?? name);
      if (secret === undefined) throw new FirebreakError(ErrorCode.SecretUnavailable, 'secret refused: not declared');
      return resolver.resolve(secret.reference);
    },
  };
}
