/**
 * The aws provider: EC2 instances in one region, burned down as AWS's guide for a compromised instance
 * does (docs/infrastructure.md#aws). Every operation but `indicators`, which needs an agent on the
 * instance: it is absent from `capabilities` and throws UNSUPPORTED without contacting AWS.
 */
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { SecretResolver } from '../../secrets/resolver.js';
import { deepFreeze, inventoryLimit, parseSelector } from '../selector.js';
import type { InfraOperation, InfraProvider, InfraTarget, TargetSet } from '../types.js';
import { capture } from './capture.js';
import { openAws, type AwsClients, type AwsConnection, type AwsContext } from './client.js';
import { isolate, unisolate } from './containment.js';
import { protect } from './protect.js';
import { describeTarget, matchInstances } from './inventory.js';
import { destroy, health, redeploy } from './lifecycle.js';

/** What the aws provider supports: everything but indicators. */
export const AWS_CAPABILITIES: ReadonlySet<InfraOperation> = new Set<InfraOperation>([
  'inventory',
  'protect',
  'isolate',
  'unisolate',
  'capture',
  'destroy',
  'redeploy',
  'health',
]);

/** The quarantine group's name when the config names none. */
export const DEFAULT_QUARANTINE_GROUP = 'firebreak-quarantine';

/** What `createAwsProvider` needs. */
export interface AwsProviderOptions {
  /** The configured name (`infra.providers.<name>`). */
  name: string;
  connection: AwsConnection;
  /** Resolves the credential references at each use. */
  secrets: SecretResolver;
  /** The security group isolation puts instances in (one per VPC, created when absent). */
  quarantineGroupName?: string;
  /** Only instances in this VPC are targets. */
  vpc?: string;
  /** How long capture waits for snapshots to complete (default 30 minutes). */
  snapshotWaitMs?: number;
  /** How often capture asks whether they are (default 5 s). */
  snapshotPollMs?: number;
  /** The clock; injectable for tests. */
  now?: () => Date;
}

/** Creates the provider; nothing is contacted (nor any secret read) until an operation runs. */
export function createAwsProvider(options: AwsProviderOptions): InfraProvider {
  const { name, connection, secrets, vpc } = options;
  const now = options.now ?? (() => new Date());
  const quarantineGroupName = options.quarantineGroupName ?? DEFAULT_QUARANTINE_GROUP;
  /** Runs one operation with its own clients, closed after. */
  const using = async <T>(work: (clients: AwsClients, context: AwsContext) => Promise<T>): Promise<T> => {
    const clients = await openAws(connection, secrets);
    try {
      return await work(clients, { clients, provider: name, quarantineGroupName, now });
    } finally {
      clients.close();
    }
  };
  const inScope = (target: InfraTarget): void => {
    if (target.kind !== 'aws') {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `aws: target ${target.id} is a ${target.kind} target (pinned by ${target.provider}), not an EC2 instance`,
      );
    }
  };
  const provider: InfraProvider = {
    name,
    kind: 'aws',
    capabilities: AWS_CAPABILITIES,
    async inventory(selector, inventoryOptions = {}) {
      const parsed = parseSelector(selector);
      const limit = inventoryLimit(inventoryOptions.limit);
      return await using(async (clients) => {
        const resolvedAt = now().toISOString();
        const instances = await matchInstances(clients, parsed, vpc);
        const targets: InfraTarget[] = [];
        for (const instance of instances) targets.push(await describeTarget(clients, name, instance));
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
      });
    },
    async protect(target, protectOptions) {
      inScope(target);
      return await using((_, context) => protect(context, target, protectOptions));
    },
    async isolate(target, isolateOptions) {
      inScope(target);
      return await using((_, context) => isolate(context, target, isolateOptions));
    },
    async unisolate(target, record) {
      inScope(target);
      return await using((_, context) => unisolate(context, target, record));
    },
    async capture(request) {
      inScope(request.target);
      const snapshotWaitMs = options.snapshotWaitMs ?? 30 * 60_000;
      const pollMs = options.snapshotPollMs ?? 5_000;
      return await using((clients) => capture({ clients, now, snapshotWaitMs, pollMs }, request));
    },
    async destroy(request) {
      inScope(request.target);
      return await using((_, context) => destroy(context, request));
    },
    async redeploy(request) {
      inScope(request.target);
      return await using((_, context) => redeploy(context, request));
    },
    async health(request) {
      inScope(request.target);
      return await using((_, context) => health(context, request));
    },
    indicators: () =>
      Promise.reject(
        new FirebreakError(
          ErrorCode.Unsupported,
          `infra provider \`${name}\` (aws) does not support indicators: EC2 cannot look inside an instance without an agent on it (docs/infrastructure.md#aws)`,
        ),
      ),
  };
  return provider;
}
