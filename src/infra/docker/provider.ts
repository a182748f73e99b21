/**
 * The docker provider: inventory, protect, isolate, unisolate and capture over the Docker Engine API
 * (dockerode). Destroy, redeploy, health and indicators are not built yet: they are absent from
 * `capabilities` and throw UNSUPPORTED without contacting the daemon.
 */
import { parseSelector, inventoryLimit, deepFreeze, unsupported } from '../selector.js';
import type { InfraOperation, InfraProvider, InfraTarget, TargetSet } from '../types.js';
import { openDocker, type DockerConnection } from './client.js';
import { capture, DEFAULT_LOG_LIMIT_BYTES } from './capture.js';
import { isolate, protect, unisolate } from './containment.js';
import { describeContainer, inspectContainer, matchContainers } from './inventory.js';
import type { SecretResolver } from '../../secrets/resolver.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';

/** What the docker provider supports today. */
export const DOCKER_CAPABILITIES: ReadonlySet<InfraOperation> = new Set<InfraOperation>([
  'inventory',
  'protect',
  'isolate',
  'unisolate',
  'capture',
]);

/** What `createDockerProvider` needs. */
export interface DockerProviderOptions {
  /** The configured name (`infra.providers.<name>`). */
  name: string;
  connection: DockerConnection;
  /** Resolves the TLS references at each use. */
  secrets: SecretResolver;
  /** The clock `resolvedAt` reads; injectable for tests. */
  now?: () => Date;
  /** The longest `logs` artefact capture writes (default DEFAULT_LOG_LIMIT_BYTES, 64 MiB). */
  logLimitBytes?: number;
}

/** Creates the provider; nothing is contacted (nor any secret read) until an operation runs. */
export function createDockerProvider(options: DockerProviderOptions): InfraProvider {
  const { name, connection, secrets } = options;
  const now = options.now ?? (() => new Date());
  const open = () => openDocker(connection, secrets);
  const logLimitBytes = options.logLimitBytes ?? DEFAULT_LOG_LIMIT_BYTES;
  const provider: InfraProvider = {
    name,
    kind: 'docker',
    capabilities: DOCKER_CAPABILITIES,
    async inventory(selector, inventoryOptions = {}) {
      const parsed = parseSelector(selector);
      const limit = inventoryLimit(inventoryOptions.limit);
      const docker = await open();
      const resolvedAt = now().toISOString();
      const ids = await matchContainers(docker, parsed);
      const targets: InfraTarget[] = [];
      for (const id of ids) {
        try {
          targets.push(await describeContainer(docker, name, await inspectContainer(docker, id)));
        } catch (error) {
          // Removed between the listing and the inspection: it is not a target any more.
          if (error instanceof FirebreakError && error.code === ErrorCode.NotFound) continue;
          throw error;
        }
      }
      targets.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
      const set: TargetSet = {
        provider: name,
        selector: structuredClone(selector),
        targets: targets.slice(0, limit),
        total: targets.length,
        capped: targets.length > limit,
        resolvedAt,
      };
      return deepFreeze(set);
    },
    async protect(target) {
      return protect(await open(), target);
    },
    async isolate(target, isolateOptions) {
      return isolate(await open(), name, target, isolateOptions);
    },
    async unisolate(target, record) {
      return unisolate(await open(), target, record);
    },
    async capture(request) {
      return capture({ docker: await open(), now, logLimitBytes }, request);
    },
    destroy: () => Promise.reject(unsupported(provider, 'destroy')),
    redeploy: () => Promise.reject(unsupported(provider, 'redeploy')),
    health: () => Promise.reject(unsupported(provider, 'health')),
    indicators: () => Promise.reject(unsupported(provider, 'indicators')),
  };
  return provider;
}
