/**
 * Docker redeploy: a replacement for a destroyed container, from an image pulled by digest, with the
 * configuration the original's `spec` pinned at inventory except what `overrides` changes. It joins the
 * networks the spec recorded (not the quarantine state), carries `firebreak.replaces=<old id>`, and a
 * retry finds the replacement it already created by that label instead of creating another.
 */
import type Docker from 'dockerode';
import type { ContainerCreateOptions, EndpointSettings } from 'dockerode';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { deepFreeze } from '../selector.js';
import type { InfraTarget, RedeployRequest, RedeployResult } from '../types.js';
import { engine, engineFailure } from './client.js';
import { describeContainer, inspectContainer } from './inventory.js';
import { parseOverrides, requireRedactedSupplied, type DockerOverrides } from './overrides.js';
import type { DockerSpec } from './spec.js';

/** The label a replacement carries, with the id of the container it replaces. */
export const REPLACES_LABEL = 'firebreak.replaces';
/**
 * `repository[:tag]@sha256:<64 hex>`: the repository with an optional registry host and port, an optional
 * tag (checked against the digest), and the digest. Groups: repository, tag, digest.
 */
const PINNED_REF =
  /^((?:[a-zA-Z0-9.-]+(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?@(sha256:[0-9a-f]{64})$/;

/** A pinned image reference, split. */
export interface PinnedImage {
  /** As written. */
  ref: string;
  repository: string;
  tag?: string;
  digest: string;
  /** `repository@digest`: what is pulled and run (the tag never is). */
  byDigest: string;
}

/** What redeploy needs besides the request. */
export interface RedeployContext {
  docker: Docker;
  provider: string;
}

function refuse(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, `redeploy: ${message}`);
}

/** Checks a pinned image reference: `repository@sha256:<64 hex>` (a tag before the digest is checked later), never a tag alone. */
export function checkPinnedImage(artefact: RedeployRequest['artefact']): PinnedImage {
  if (typeof artefact !== 'object' || artefact === null || artefact.kind !== 'image') {
    throw refuse(`artefact.kind must be \`image\` on Docker (got ${JSON.stringify(artefact?.kind)})`);
  }
  const ref = artefact.ref;
  const match = typeof ref === 'string' ? PINNED_REF.exec(ref) : null;
  if (match === null) {
    const shown = JSON.stringify(typeof ref === 'string' ? ref.slice(0, 300) : ref);
    const tagged = typeof ref === 'string' && !ref.includes('@') && /:[\w][\w.-]*$/.test(ref.slice(ref.lastIndexOf('/') + 1));
    throw refuse(
      `artefact.ref ${shown} is not pinned: give repository@sha256:<64 hex digits>` +
        (tagged ? ' (a tag alone can be moved to other content: name its digest)' : ''),
    );
  }
  const [, repository, tag, digest] = match as unknown as [string, string, string | undefined, string];
  return { ref: ref, repository, ...(tag === undefined ? {} : { tag }), digest, byDigest: `${repository}@${digest}` };
}

/**
 * Refuses `repository:tag@digest` when the registry says the tag names other content now: which one was
 * meant would be ambiguous. Asks the registry through the daemon (the distribution endpoint).
 */
async function checkTag(docker: Docker, image: PinnedImage): Promise<void> {
  if (image.tag === undefined) return;
  const tagged = `${image.repository}:${image.tag}`;
  const info = await engine(`docker: look up ${tagged} in its registry`, () => docker.getImage(tagged).distribution());
  const digest = info.Descriptor?.digest;
  if (digest !== image.digest) {
    throw refuse(
      `artefact.ref ${JSON.stringify(image.ref)}: the tag ${image.tag} names ${digest ?? 'nothing'} in the registry, not ${image.digest}; ` +
        'give repository@digest for the content you mean',
    );
  }
}

function specOf(target: InfraTarget): DockerSpec {
  const spec = target.spec as DockerSpec | undefined;
  if (spec === undefined || !Array.isArray(spec.env) || !Array.isArray(spec.networks) || !Array.isArray(spec.redacted)) {
    throw refuse(
      `target ${target.id.slice(0, 12)} has no configuration pinned (spec): it was inventoried before redeploy existed; ` +
        'inventory it again before destroying it',
    );
  }
  return spec;
}

/** Creates (or finds, on a retry) and starts the replacement, and pins it like an inventoried target. */
export async function redeploy(context: RedeployContext, request: RedeployRequest): Promise<RedeployResult> {
  const { docker, provider } = context;
  const { target } = request;
  const image = checkPinnedImage(request.artefact);
  const overrides = parseOverrides(request.overrides);
  const spec = specOf(target);
  requireRedactedSupplied(spec, overrides);
  const unknown = (overrides.networks ?? []).filter((name) => !spec.networks.some((n) => n.name === name));
  if (unknown.length > 0) {
    throw refuse(`overrides.networks: ${unknown.join(', ')} not among the original's networks (${spec.networks.map((n) => n.name).join(', ') || 'none'})`);
  }
  const existing = await engine('docker: list containers', () =>
    docker.listContainers({ all: true, filters: { label: [`${REPLACES_LABEL}=${target.id}`] } }),
  );
  const { mode, endpoints } = networkPlan(spec, overrides);
  let id = existing[0]?.Id;
  if (id === undefined) {
    const name = overrides.name ?? target.name;
    if (overrides.name === undefined && (await stillThere(docker, target.id))) {
      throw refuse(`the original ${target.name} (${target.id.slice(0, 12)}) still exists: destroy it first, or give overrides.name`);
    }
    await checkTag(docker, image);
    await pull(docker, image.byDigest);
    const options = createOptions(spec, overrides, { ref: image.byDigest, name, replaces: target.id, mode, endpoints });
    id = (await engine(`docker: create the replacement ${name}`, () => docker.createContainer(options))).id;
  }
  const info = await inspectContainer(docker, id);
  // The Engine API takes one network at creation (before API 1.44): the others are joined before it starts,
  // and a retry joins those an interrupted attempt did not.
  const attached = info.NetworkSettings.Networks ?? {};
  for (const [network, endpoint] of endpoints) {
    if (Object.hasOwn(attached, network)) continue;
    await engine(`docker: connect the replacement ${id.slice(0, 12)} to ${network}`, () =>
      docker.getNetwork(network).connect({ Container: id, EndpointConfig: endpoint }),
    );
  }
  if (!info.State.Running) {
    await engine(`docker: start the replacement ${id.slice(0, 12)}`, () => docker.getContainer(id).start());
  }
  const replacement = await describeContainer(docker, provider, await inspectContainer(docker, id));
  return deepFreeze({ replaced: target.id, target: replacement });
}

async function stillThere(docker: Docker, id: string): Promise<boolean> {
  try {
    await inspectContainer(docker, id);
    return true;
  } catch (error) {
    if (error instanceof FirebreakError && error.code === ErrorCode.NotFound) return false;
    throw error;
  }
}

/** Pulls the image by digest; the daemon checks the content against the digest. */
async function pull(docker: Docker, ref: string): Promise<void> {
  const stream = await engine(`docker: pull ${ref}`, () => docker.pull(ref));
  const events = await new Promise<Array<{ error?: string }>>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: unknown, output: Array<{ error?: string }>) =>
      error ? reject(engineFailure(error, `docker: pull ${ref}`)) : resolve(output),
    );
  });
  const failed = events.find((event) => typeof event.error === 'string');
  if (failed !== undefined) {
    const missing = /manifest unknown|not found/i.test(failed.error!);
    throw new FirebreakError(missing ? ErrorCode.NotFound : ErrorCode.Transient, `docker: pull ${ref}: ${failed.error}`);
  }
}

function createOptions(
  spec: DockerSpec,
  overrides: DockerOverrides,
  pinned: { ref: string; name: string; replaces: string; mode: string; endpoints: Array<[string, EndpointSettings]> },
): ContainerCreateOptions {
  const env: string[] = [];
  for (const entry of spec.env) {
    if ('value' in entry && !overrides.dropEnv.has(entry.name) && !overrides.env.has(entry.name)) env.push(`${entry.name}=${entry.value}`);
  }
  for (const [name, value] of overrides.env) if (!overrides.dropEnv.has(name)) env.push(`${name}=${value}`);
  const labels: Record<string, string> = { ...spec.labels };
  for (const [key, value] of overrides.labels) {
    if (value === null) delete labels[key];
    else labels[key] = value;
  }
  labels[REPLACES_LABEL] = pinned.replaces;
  const cmd = overrides.cmd ?? spec.cmd;
  const entrypoint = overrides.entrypoint ?? spec.entrypoint;
  const healthcheck = overrides.healthcheck !== undefined ? overrides.healthcheck : spec.healthcheck;
  const { mode } = pinned;
  return {
    name: pinned.name,
    Image: pinned.ref,
    Env: env,
    Labels: labels,
    ...(cmd ? { Cmd: cmd } : {}),
    ...(entrypoint ? { Entrypoint: entrypoint } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.exposedPorts ? { ExposedPorts: Object.fromEntries(spec.exposedPorts.map((p) => [p, {}])) } : {}),
    ...(spec.tty ? { Tty: true } : {}),
    ...healthcheckOption(healthcheck, spec),
    HostConfig: {
      RestartPolicy: { Name: spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount },
      NetworkMode: mode,
      Mounts: spec.mounts.map((m) => ({
        Type: m.type,
        Target: m.target,
        ReadOnly: m.readOnly,
        Source: m.source ?? '',
      })),
      ...(spec.portBindings
        ? {
            PortBindings: Object.fromEntries(
              Object.entries(spec.portBindings).map(([port, list]) => [port, list.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort }))]),
            ),
          }
        : {}),
      ...(spec.resources.memory ? { Memory: spec.resources.memory } : {}),
      ...(spec.resources.nanoCpus ? { NanoCpus: spec.resources.nanoCpus } : {}),
      ...(spec.resources.cpuShares ? { CpuShares: spec.resources.cpuShares } : {}),
      ...(spec.resources.pidsLimit ? { PidsLimit: spec.resources.pidsLimit } : {}),
      ...(spec.security.privileged ? { Privileged: true } : {}),
      ...(spec.security.readonlyRootfs ? { ReadonlyRootfs: true } : {}),
      ...(spec.security.init ? { Init: true } : {}),
      ...(spec.security.capAdd ? { CapAdd: spec.security.capAdd } : {}),
      ...(spec.security.capDrop ? { CapDrop: spec.security.capDrop } : {}),
      ...(spec.security.securityOpt ? { SecurityOpt: spec.security.securityOpt } : {}),
    },
    NetworkingConfig: { EndpointsConfig: Object.fromEntries(pinned.endpoints.filter(([network]) => network === mode)) },
  };
}

/**
 * The networks the replacement joins (the original's, or the subset `overrides.networks` names) with their
 * aliases and static addresses, and its network mode: the original's `host`, `none` or `container:...`, else
 * the first network it joins (`none` when it joins none).
 */
function networkPlan(spec: DockerSpec, overrides: DockerOverrides): { mode: string; endpoints: Array<[string, EndpointSettings]> } {
  const chosen = overrides.networks ?? spec.networks.map((n) => n.name);
  const networks = spec.networks.filter((n) => chosen.includes(n.name));
  const endpoints = networks.map((n): [string, EndpointSettings] => [
    n.name,
    {
      Aliases: n.aliases,
      ...(n.ipv4 || n.ipv6 ? { IPAMConfig: { ...(n.ipv4 ? { IPv4Address: n.ipv4 } : {}), ...(n.ipv6 ? { IPv6Address: n.ipv6 } : {}) } } : {}),
    },
  ]);
  const original = spec.networkMode;
  if (original === 'host' || original === 'none' || original.startsWith('container:')) return { mode: original, endpoints: [] };
  const mode = networks.some((n) => n.name === original) ? original : (networks[0]?.name ?? 'none');
  return { mode, endpoints };
}

function healthcheckOption(healthcheck: DockerSpec['healthcheck'] | string[], spec: DockerSpec): Partial<ContainerCreateOptions> {
  if (healthcheck === undefined) return {};
  if (healthcheck === null) return { Healthcheck: { Test: ['NONE'] } };
  if (Array.isArray(healthcheck)) {
    const timing = spec.healthcheck ?? { test: [] };
    return {
      Healthcheck: {
        Test: healthcheck,
        ...(timing.interval ? { Interval: timing.interval } : {}),
        ...(timing.timeout ? { Timeout: timing.timeout } : {}),
        ...(timing.startPeriod ? { StartPeriod: timing.startPeriod } : {}),
        ...(timing.retries ? { Retries: timing.retries } : {}),
      },
    };
  }
  return {
    Healthcheck: {
      Test: healthcheck.test,
      ...(healthcheck.interval ? { Interval: healthcheck.interval } : {}),
      ...(healthcheck.timeout ? { Timeout: healthcheck.timeout } : {}),
      ...(healthcheck.startPeriod ? { StartPeriod: healthcheck.startPeriod } : {}),
      ...(healthcheck.retries ? { Retries: healthcheck.retries } : {}),
    },
  };
}
