/**
 * Docker inventory: a selector resolved once into containers, each pinned with the metadata `inspect`
 * gives (image id and registry digest, networks with their endpoint configuration, mounts, labels, the
 * credentials it can reach by name) and sorted by name, so the same daemon state gives the same list.
 */
import type Docker from 'dockerode';
import type { ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { ParsedSelector } from '../selector.js';
import type { InfraTarget, TargetCredential, TargetImage, TargetMount, TargetNetwork } from '../types.js';
import { engine, engineFailure } from './client.js';
import { containerSpec, CREDENTIAL_NAME, specValue, strings, URL_USERINFO } from './spec.js';

// Shared with capture and containment, which import them from here.
export { CREDENTIAL_NAME, strings } from './spec.js';

/** The shortest id prefix accepted: Docker's short id. A shorter one could pin a container by chance. */
export const MIN_ID_PREFIX = 12;

const MAX_LABELS = 64;
const MAX_LABEL_VALUE = 256;
/** What a label value holding URL userinfo is replaced by in a pinned target. */
export const REDACTED_LABEL = '[redacted by firebreak]';
/** The names Docker gives containers; anything else could not match and would reach the daemon as a regex. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const DOCKER_SOCKET = /(?:^|\/)docker\.sock$/;

/** The ids of the containers a selector matches, in no particular order. */
export async function matchContainers(docker: Docker, selector: ParsedSelector): Promise<string[]> {
  switch (selector.by) {
    case 'id': {
      if (!/^[0-9a-f]+$/.test(selector.value) || selector.value.length < MIN_ID_PREFIX || selector.value.length > 64) {
        throw new FirebreakError(
          ErrorCode.InvalidInput,
          `selector: a container id is ${MIN_ID_PREFIX} to 64 lowercase hex digits (a unique prefix of the full id)`,
        );
      }
      const listed = await list(docker, { id: [selector.value] });
      // The daemon's id filter also matches inside ids; only a prefix counts.
      const ids = listed.filter((id) => id.startsWith(selector.value));
      if (ids.length > 1) {
        throw new FirebreakError(ErrorCode.InvalidInput, `selector: id prefix ${selector.value} matches ${ids.length} containers`);
      }
      return ids;
    }
    case 'name': {
      // The name filter is a regular expression over names; only the exact name counts.
      const name = selector.value.replace(/^\//, '');
      if (!CONTAINER_NAME.test(name)) {
        throw new FirebreakError(
          ErrorCode.InvalidInput,
          'selector: a container name is a letter or digit, then letters, digits, _ . or - (as Docker names them)',
        );
      }
      const listed = await engine('docker: list containers', () =>
        docker.listContainers({ all: true, filters: { name: [name] } }),
      );
      return listed.filter((c) => c.Names.some((n) => n.replace(/^\//, '') === name)).map((c) => c.Id);
    }
    case 'labels':
      return list(docker, { label: [...selector.value].map(([key, value]) => `${key}=${value}`) });
    case 'image': {
      const imageIds = await matchImages(docker, selector.value);
      if (imageIds.size === 0) return [];
      const listed = await engine('docker: list containers', () => docker.listContainers({ all: true }));
      return listed.filter((c) => imageIds.has(c.ImageID)).map((c) => c.Id);
    }
  }
}

async function list(docker: Docker, filters: Record<string, string[]>): Promise<string[]> {
  const listed = await engine('docker: list containers', () => docker.listContainers({ all: true, filters }));
  return listed.map((c) => c.Id);
}

/**
 * The local image ids a reference names: an image id, a `repo:tag` or `repo@digest` the daemon resolves,
 * or a bare manifest digest found among the images' RepoDigests. Containers match on these ids exactly
 * (images built on top of it are other images).
 */
async function matchImages(docker: Docker, ref: string): Promise<Set<string>> {
  const images = await engine('docker: list images', () => docker.listImages({ all: true }));
  const ids = new Set<string>();
  for (const image of images) {
    const digests = image.RepoDigests ?? [];
    if (image.Id === ref || digests.includes(ref) || digests.some((d) => d.endsWith(`@${ref}`))) ids.add(image.Id);
  }
  if (ids.size > 0 || /^sha256:[0-9a-f]{64}$/.test(ref)) return ids;
  try {
    const inspected = await docker.getImage(ref).inspect();
    ids.add(inspected.Id);
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    // An image the daemon does not have (or a reference it cannot parse) runs no container.
    if (status !== 404 && status !== 400) throw engineFailure(error, `docker: inspect image ${ref}`);
  }
  return ids;
}

/** Inspects one container (NOT_FOUND when it is gone). */
export async function inspectContainer(docker: Docker, id: string): Promise<ContainerInspectInfo> {
  return engine(`docker: inspect container ${id}`, () => docker.getContainer(id).inspect());
}

/**
 * Inspects the pinned container: its full id (64 hex digits, as inventory pins it) must name exactly that
 * container. The Engine API also takes names and id prefixes, so a target whose id is anything else could
 * reach another container: INVALID_INPUT before anything is contacted, and when the daemon answers with
 * another container, INVALID_INPUT too. NOT_FOUND when it is gone.
 */
export async function inspectPinned(docker: Docker, what: string, target: { id: string }): Promise<ContainerInspectInfo> {
  if (typeof target.id !== 'string' || !/^[0-9a-f]{64}$/.test(target.id)) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `${what}: target id ${JSON.stringify(target.id)} is not a pinned container id (64 lowercase hex digits, from inventory)`,
    );
  }
  const info = await inspectContainer(docker, target.id);
  if (info.Id !== target.id) {
    throw new FirebreakError(ErrorCode.InvalidInput, `${what}: the daemon answered for container ${info.Id}, not the pinned ${target.id}`);
  }
  return info;
}

/** Pins one container: its metadata as `inspect` gives it, small and JSON-safe. */
export async function describeContainer(
  docker: Docker,
  provider: string,
  info: ContainerInspectInfo,
): Promise<InfraTarget> {
  const mounts = mountsOf(info);
  const { image, inspected } = await imageOf(docker, info);
  const target: InfraTarget = {
    provider,
    kind: 'docker',
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image,
    networks: networksOf(info),
    mounts,
    labels: {},
    credentials: credentialsOf(info, mounts),
    state: info.State.Status,
    createdAt: info.Created,
    spec: specValue(containerSpec(info, inspected)),
  };
  const labels = Object.entries(info.Config.Labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  // A label holding a URL with credentials is kept by key only: the target goes into workflow history.
  for (const [key, value] of labels.slice(0, MAX_LABELS)) {
    target.labels[key] = URL_USERINFO.test(value) ? REDACTED_LABEL : value.slice(0, MAX_LABEL_VALUE);
  }
  if (labels.length > MAX_LABELS || labels.some(([, value]) => value.length > MAX_LABEL_VALUE)) target.labelsCut = true;
  return target;
}

async function imageOf(
  docker: Docker,
  info: ContainerInspectInfo,
): Promise<{ image: TargetImage; inspected: ImageInspectInfo | undefined }> {
  const image: TargetImage = { ref: info.Config.Image, id: info.Image };
  let inspected: ImageInspectInfo;
  try {
    inspected = await docker.getImage(info.Image).inspect();
  } catch (error) {
    // The image may have been removed while the container runs: the container is still a target.
    if ((error as { statusCode?: number }).statusCode === 404) return { image, inspected: undefined };
    throw engineFailure(error, `docker: inspect image ${info.Image}`);
  }
  const digests = inspected.RepoDigests ?? [];
  const repository = repositoryOf(info.Config.Image);
  const pinned = digests.find((d) => d.slice(0, d.indexOf('@')) === repository) ?? digests[0];
  if (pinned === undefined) return { image, inspected };
  return { image: { ...image, digest: pinned.slice(pinned.indexOf('@') + 1), pinned }, inspected };
}

/** `registry:5000/app` from `registry:5000/app:1.4` or `registry:5000/app@sha256:...`. */
function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

function networksOf(info: ContainerInspectInfo): TargetNetwork[] {
  return Object.entries(info.NetworkSettings.Networks ?? {})
    .filter(([name]) => name !== 'none')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, endpoint]) => ({
      name,
      ...(endpoint.NetworkID ? { id: endpoint.NetworkID } : {}),
      aliases: strings(endpoint.Aliases as unknown),
      ...(endpoint.IPAddress ? { ipv4: endpoint.IPAddress } : {}),
      ...(endpoint.GlobalIPv6Address ? { ipv6: endpoint.GlobalIPv6Address } : {}),
      ...(endpoint.MacAddress ? { mac: endpoint.MacAddress } : {}),
    }));
}

function mountsOf(info: ContainerInspectInfo): TargetMount[] {
  const mounts: TargetMount[] = info.Mounts.map((mount) => ({
    type: mount.Type,
    ...(mount.Name ? { name: mount.Name } : {}),
    ...(mount.Type === 'bind' && mount.Source ? { source: mount.Source } : {}),
    destination: mount.Destination,
    readOnly: !mount.RW,
  }));
  // `--tmpfs` mounts are in the host config only, not in Mounts.
  const tmpfs = info.HostConfig.Tmpfs ?? {};
  for (const [destination, options] of Object.entries(tmpfs)) {
    if (mounts.some((mount) => mount.destination === destination)) continue;
    mounts.push({ type: 'tmpfs', destination, readOnly: options.split(',').includes('ro') });
  }
  // The daemon lists mounts in no stable order; a pinned target reads the same for the same container.
  return mounts.sort((a, b) => a.destination.localeCompare(b.destination));
}

/** What the container can use as credentials, by name only: variable names, secret mounts, the Docker socket. */
function credentialsOf(info: ContainerInspectInfo, mounts: readonly TargetMount[]): TargetCredential[] {
  const out: TargetCredential[] = [];
  for (const entry of info.Config.Env ?? []) {
    const at = entry.indexOf('=');
    const name = at < 0 ? entry : entry.slice(0, at);
    if (CREDENTIAL_NAME.test(name)) out.push({ kind: 'env', name });
    else if (at >= 0 && URL_USERINFO.test(entry.slice(at + 1))) {
      out.push({ kind: 'env', name, note: 'its value is a URL with credentials in it (user:password@)' });
    }
  }
  for (const mount of mounts) {
    if (DOCKER_SOCKET.test(mount.source ?? '') || DOCKER_SOCKET.test(mount.destination)) {
      out.push({ kind: 'docker-socket', name: mount.destination, note: 'mounts the Docker socket: root on the host' });
    } else if (mount.destination.startsWith('/run/secrets')) {
      out.push({ kind: 'secret-mount', name: mount.destination });
    }
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}
