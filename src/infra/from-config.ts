/**
 * The infrastructure providers an entry point uses, built by name from `infra.providers` in the config.
 * Building contacts nothing, runs nothing and reads no secret: each provider connects (and resolves its TLS
 * or environment references) when an operation runs.
 */
import type { InfraConfig, InfraProviderConfig } from '../config/index.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { SecretResolver } from '../secrets/resolver.js';
import { createCommandProvider } from './command/provider.js';
import { createDockerProvider } from './docker/provider.js';
import type { InfraCatalog } from '../runbook/kinds/types.js';
import type { InfraProvider } from './types.js';

/** What the providers need besides the config. */
export interface InfraProvidersDeps {
  /** Resolves TLS references (relative `file:` paths against the config file's directory). */
  secrets: SecretResolver;
  /** `actions.command.scriptsDir`, where `command` providers find their scripts (required when one is configured). */
  scriptsDir?: string;
}

/** The configured providers by name. */
export interface InfraProviders {
  /** The provider of that name; NOT_FOUND (naming the configured ones) when there is none. */
  get(name: string): InfraProvider;
  /** The configured names, sorted. */
  names(): string[];
}

/** Builds one provider from its section. */
export function infraProviderFromConfig(name: string, config: InfraProviderConfig, deps: InfraProvidersDeps): InfraProvider {
  if (config.kind === 'command') {
    if (deps.scriptsDir === undefined) {
      throw new FirebreakError(ErrorCode.InvalidInput, `infra provider \`${name}\` (command) needs actions.command.scriptsDir`);
    }
    return createCommandProvider({
      name,
      scriptsDir: deps.scriptsDir,
      operations: config.operations,
      timeoutMs: config.timeoutMs,
      env: config.env,
      secrets: deps.secrets,
    });
  }
  const connection = {
    host: config.host,
    timeoutMs: config.timeoutMs,
    ...(config.tls === undefined ? {} : { tls: { ca: config.tls.ca, cert: config.tls.cert, key: config.tls.key } }),
  };
  return createDockerProvider({ name, connection, secrets: deps.secrets, healthAllowHosts: config.health?.allowHosts ?? [] });
}

/** Builds every provider of `infra.providers` (none when the section is absent). */
export function infraProvidersFromConfig(infra: InfraConfig | undefined, deps: InfraProvidersDeps): InfraProviders {
  // A Map: a name from a runbook can never reach a prototype property.
  const byName = new Map<string, InfraProvider>(
    Object.entries(infra?.providers ?? {}).map(([name, config]) => [name, infraProviderFromConfig(name, config, deps)]),
  );
  const names = () => [...byName.keys()].sort();
  return {
    names,
    get(name) {
      const provider = byName.get(name);
      if (provider !== undefined) return provider;
      throw new FirebreakError(
        ErrorCode.NotFound,
        `no infra provider \`${name}\` is configured (infra.providers in firebreak.yaml: ${names().join(', ') || 'none'})`,
      );
    },
  };
}

/**
 * What runbook validation knows of the configured providers: each one's kind and capabilities. Undefined
 * when the config has no `infra` section, so runbooks validated without one are not refused for it.
 */
export function infraCatalog(infra: InfraConfig | undefined): InfraCatalog | undefined {
  if (infra === undefined) return undefined;
  // Nothing is contacted and no secret is read: capabilities are known from the config alone.
  const noSecrets: SecretResolver = {
    resolve: () => Promise.reject(new FirebreakError(ErrorCode.SecretUnavailable, 'no secret is read while validating')),
  };
  // Nor is any script run or looked up: a command provider's capabilities are its configured operations.
  const providers = infraProvidersFromConfig(infra, { secrets: noSecrets, scriptsDir: '/nonexistent' });
  const byName = new Map(providers.names().map((name) => [name, providers.get(name)] as const));
  return {
    names: () => [...byName.keys()],
    provider(name) {
      const provider = byName.get(name);
      return provider === undefined ? undefined : { kind: provider.kind, capabilities: provider.capabilities };
    },
  };
}
