/**
 * The infrastructure providers an entry point uses, built by name from `infra.providers` in the config.
 * Building contacts nothing and reads no secret: each provider connects (and resolves its TLS references or
 * credentials) when an operation runs.
 */
import type { InfraConfig, InfraProviderConfig } from '../config/index.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { SecretResolver } from '../secrets/resolver.js';
import { createAwsProvider } from './aws/provider.js';
import { createDockerProvider } from './docker/provider.js';
import type { InfraProvider } from './types.js';

/** What the providers need besides the config. */
export interface InfraProvidersDeps {
  /** Resolves TLS references (relative `file:` paths against the config file's directory). */
  secrets: SecretResolver;
}

/** The configured providers by name. */
export interface InfraProviders {
  /** The provider of that name; NOT_FOUND (naming the configured ones) when there is none. */
  get(name: string): InfraProvider;
  /** The configured names, sorted. */
  names(): string[];
}

/** Builds one provider from its section. */
export function infraProviderFromConfig(
  name: string,
  config: InfraProviderConfig,
  deps: InfraProvidersDeps,
): InfraProvider {
  if (config.kind === 'aws') {
    const { region, endpoint, credentials, timeoutMs } = config;
    return createAwsProvider({
      name,
      secrets: deps.secrets,
      connection: {
        region,
        timeoutMs,
        ...(endpoint === undefined ? {} : { endpoint }),
        ...(credentials === undefined ? {} : { credentials }),
      },
      quarantineGroupName: config.quarantineGroupName,
      ...(config.vpc === undefined ? {} : { vpc: config.vpc }),
      snapshotWaitMs: config.snapshotWaitMs,
    });
  }
  const connection = {
    host: config.host,
    timeoutMs: config.timeoutMs,
    ...(config.tls === undefined ? {} : { tls: { ca: config.tls.ca, cert: config.tls.cert, key: config.tls.key } }),
  };
  return createDockerProvider({ name, connection, secrets: deps.secrets });
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
