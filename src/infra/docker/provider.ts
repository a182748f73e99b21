/**
 * The docker provider: every operation of the port (inventory, protect, isolate, unisolate, capture,
 * destroy, redeploy, health, indicators) over the Docker Engine API (dockerode).
 */
import { parseSelector, inventoryLimit, deepFreeze } from '../selector.js';
import type { InfraOperation, InfraProvider, InfraTarget, TargetSet } from '../types.js';
import { openDocker, type DockerConnection } from './client.js';
import { capture, DEFAULT_LOG_LIMIT_BYTES } from './capture.js';
import { isolate, protect, unisolate } from './containment.js';
import { destroy } from './destroy.js';
import { health } from './health.js';
import { DEFAULT_HASH_LIMIT_BYTES, indicators } from './indicators.js';
import { redeploy } from './redeploy.js';
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
  'destroy',
  'redeploy',
  'health',
  'indicators',
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
  /** Hosts an HTTP health probe may reach besides loopback (`health.allowHosts` in the config). */
  healthAllowHosts?: readonly string[];
  /** The largest file a `hash` indicator streams through SHA-256 (default DEFAULT_HASH_LIMIT_BYTES, 1 GiB). */
  hashLimitBytes?: number;
  /** How often health polls the container or the probe (default 500 ms). */
  healthPollMs?: number;
}

/** Creates the provider; nothing is contacted (nor any secret read) until an operation runs. */
export function createDockerProvider(options: DockerProviderOptions): InfraProvider {
  const { name, connection, secrets } = options;
  const now = options.now ?? (() => new Date());
  const open = () => openDocker(connection, secrets);
  const logLimitBytes = options.logLimitBytes ?? DEFAULT_LOG_LIMIT_BYTES;
  const allowHosts = (options.healthAllowHosts ?? []).map((host) => host.toLowerCase());
  const hashLimitBytes = options.hashLimitBytes ?? DEFAULT_HASH_LIMIT_BYTES;
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
    async destroy(request) {
      return destroy(await open(), request);
    },
    async redeploy(request) {
      return redeploy({ docker: await open(), provider: name }, request);
    },
    async health(request) {
      const pollMs = options.healthPollMs;
      return health({ docker: await open(), allowHosts, ...(pollMs === undefined ? {} : { pollMs }) }, request);
    },
    async indicators(request) {
      return indicators({ docker: await open(), hashLimitBytes }, request);
    },
  };
  return provider;
}
