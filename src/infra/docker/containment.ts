/**
 * Docker containment: protect (the restart policy set to `no`, so nothing brings the container back once
 * it is stopped), isolate (every network disconnected, each recorded with its endpoint configuration) and
 * unisolate (each recorded network connected again with the same aliases, links and static addresses).
 * All three are idempotent, so Temporal may retry them and a compensation may run twice.
 */
import type Docker from 'dockerode';
import type { ContainerInspectInfo, EndpointSettings } from 'dockerode';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { hasOwn } from '../../domain/own.js';
import { deepFreeze } from '../selector.js';
import type {
  InfraChange,
  InfraTarget,
  IsolateOptions,
  IsolationRecord,
  JsonValue,
  ProtectResult,
  UnisolateResult,
} from '../types.js';
import { engine, engineFailure } from './client.js';
import { inspectContainer, strings } from './inventory.js';

/** The endpoint configuration kept for a disconnected network: what `connect` takes back. */
interface NetworkEndpoint {
  networkId: string;
  aliases: string[];
  links: string[];
  /** Addresses set by the user (`--ip`, `--ip6`): given back on reconnect. */
  ipamConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] };
  driverOpts: Record<string, string>;
  /** The addresses it had (assigned by the daemon unless set in ipamConfig), for the record. */
  ipv4: string;
  ipv6: string;
}

function attachedNetworks(info: ContainerInspectInfo): Array<[string, EndpointSettings]> {
  return Object.entries<EndpointSettings>(info.NetworkSettings.Networks ?? {})
    .filter(([name]) => name !== 'none')
    .sort(([a], [b]) => a.localeCompare(b));
}

/** Refuses containers whose network Docker cannot take away: the host's, or another container's. */
function refuseSharedNetwork(info: ContainerInspectInfo): void {
  const mode = info.HostConfig.NetworkMode ?? '';
  if (mode === 'host' || mode.startsWith('container:')) {
    const shared = mode === 'host' ? "the host's network namespace" : `the network namespace of ${mode.slice(10)}`;
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `docker: container ${info.Id.slice(0, 12)} uses ${shared} (network mode ${mode}): Docker cannot disconnect it; ` +
        'isolate it by stopping it or at the host firewall',
    );
  }
}

/** Sets the restart policy to `no` (recording the one before); reports what Docker cannot protect. */
export async function protect(docker: Docker, target: InfraTarget): Promise<ProtectResult> {
  const info = await inspectContainer(docker, target.id);
  const changes: InfraChange[] = [];
  const policy: { Name?: string; MaximumRetryCount?: number } = info.HostConfig.RestartPolicy ?? {};
  const name = policy.Name || 'no';
  if (name !== 'no') {
    await engine(`docker: set the restart policy of ${target.id.slice(0, 12)} to no`, () =>
      docker.getContainer(target.id).update({ RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } }),
    );
    changes.push({
      what: 'restart-policy',
      before: { name, maximumRetryCount: policy.MaximumRetryCount ?? 0 },
      after: { name: 'no', maximumRetryCount: 0 },
    });
  }
  return deepFreeze({ targetId: target.id, changes, warnings: protectWarnings(info) });
}

function protectWarnings(info: ContainerInspectInfo): string[] {
  const labels = info.Config.Labels ?? {};
  const warnings: string[] = [];
  if (info.HostConfig.AutoRemove) {
    warnings.push('started with --rm: Docker deletes it (and its filesystem) when it stops; capture evidence before it stops');
  }
  if (hasOwn(labels, 'com.docker.compose.project')) {
    warnings.push(
      `part of compose project ${labels['com.docker.compose.project']}: \`docker compose up\` for that project would recreate it`,
    );
  }
  if (hasOwn(labels, 'com.docker.swarm.service.id')) {
    warnings.push('a swarm service task: the swarm replaces it when it stops; scale or update the service');
  }
  return warnings;
}

function endpointOf(endpoint: EndpointSettings): NetworkEndpoint {
  const ipam = endpoint.IPAMConfig ?? {};
  return {
    networkId: endpoint.NetworkID ?? '',
    aliases: strings(endpoint.Aliases),
    links: strings(endpoint.Links),
    ipamConfig: {
      ...(ipam.IPv4Address ? { IPv4Address: ipam.IPv4Address } : {}),
      ...(ipam.IPv6Address ? { IPv6Address: ipam.IPv6Address } : {}),
      ...(ipam.LinkLocalIPs?.length ? { LinkLocalIPs: ipam.LinkLocalIPs } : {}),
    },
    driverOpts: endpoint.DriverOpts ?? {},
    ipv4: endpoint.IPAddress ?? '',
    ipv6: endpoint.GlobalIPv6Address ?? '',
  };
}

/** Disconnects every network, recording each (resuming an interrupted record); nothing to do is not an error. */
export async function isolate(
  docker: Docker,
  provider: string,
  target: InfraTarget,
  options: IsolateOptions = {},
): Promise<IsolationRecord> {
  const { resume, progress } = options;
  if (resume !== undefined && resume.targetId !== target.id) {
    throw new FirebreakError(ErrorCode.InvalidInput, `isolate: the record to resume is for ${resume.targetId}, not ${target.id}`);
  }
  const info = await inspectContainer(docker, target.id);
  refuseSharedNetwork(info);
  const changes: InfraChange[] = [...(resume?.changes ?? [])];
  const snapshot = (): IsolationRecord => ({
    targetId: target.id,
    provider,
    changes: structuredClone(changes),
    alreadyIsolated: changes.length === 0,
  });
  for (const [name, endpoint] of attachedNetworks(info)) {
    const recorded = endpointOf(endpoint);
    try {
      await docker.getNetwork(recorded.networkId || name).disconnect({ Container: target.id, Force: false });
    } catch (error) {
      // Disconnected meanwhile (another attempt, an operator): nothing of ours to record.
      const now = await inspectContainer(docker, target.id);
      if (!hasOwn(now.NetworkSettings.Networks ?? {}, name)) continue;
      const failure = engineFailure(error, `docker: disconnect ${target.id.slice(0, 12)} from network ${name}`);
      throw new FirebreakError(failure.code, failure.message, { record: snapshot() });
    }
    changes.push({ what: 'network', resource: name, before: recorded as unknown as JsonValue, after: null });
    progress?.(snapshot());
  }
  return deepFreeze(snapshot());
}

function recordedEndpoint(change: InfraChange): NetworkEndpoint {
  const before = change.before as Partial<NetworkEndpoint> | undefined;
  if (change.what !== 'network' || change.resource === undefined || typeof before !== 'object' || before === null) {
    throw new FirebreakError(ErrorCode.InvalidInput, `unisolate: a docker record holds network changes, not ${change.what}`);
  }
  return {
    networkId: before.networkId ?? '',
    aliases: before.aliases ?? [],
    links: before.links ?? [],
    ipamConfig: before.ipamConfig ?? {},
    driverOpts: before.driverOpts ?? {},
    ipv4: before.ipv4 ?? '',
    ipv6: before.ipv6 ?? '',
  };
}

/**
 * Connects every recorded network again with its endpoint configuration. A network it is already on is
 * skipped. Every change is tried; when some fail, the error names each and carries what was restored.
 */
export async function unisolate(docker: Docker, target: InfraTarget, record: IsolationRecord): Promise<UnisolateResult> {
  if (record.targetId !== target.id) {
    throw new FirebreakError(ErrorCode.InvalidInput, `unisolate: the record is for ${record.targetId}, not ${target.id}`);
  }
  const endpoints = record.changes.map((change) => ({ change, endpoint: recordedEndpoint(change) }));
  const info = await inspectContainer(docker, target.id);
  const attached = info.NetworkSettings.Networks ?? {};
  const result: UnisolateResult = { targetId: target.id, restored: [], alreadyRestored: [] };
  const failures: FirebreakError[] = [];
  for (const { change, endpoint } of endpoints) {
    const name = change.resource ?? '';
    if (hasOwn(attached, name)) {
      result.alreadyRestored.push(change);
      continue;
    }
    const config: EndpointSettings = {
      Aliases: endpoint.aliases,
      Links: endpoint.links,
      DriverOpts: endpoint.driverOpts,
      ...(Object.keys(endpoint.ipamConfig).length > 0 ? { IPAMConfig: endpoint.ipamConfig } : {}),
    };
    try {
      await engine(`docker: connect ${target.id.slice(0, 12)} to network ${name}`, () =>
        docker.getNetwork(endpoint.networkId || name).connect({ Container: target.id, EndpointConfig: config }),
      );
      result.restored.push(change);
    } catch (error) {
      failures.push(error as FirebreakError);
    }
  }
  if (failures.length > 0) {
    // Retried when any failure may pass (the daemon away); otherwise the first refusal's code.
    const code = failures.find((f) => f.code === ErrorCode.Transient)?.code ?? failures[0]!.code;
    throw new FirebreakError(code, failures.map((f) => f.message).join('; '), { result });
  }
  return deepFreeze(result);
}
