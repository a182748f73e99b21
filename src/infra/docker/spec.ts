/**
 * The configuration a redeploy needs, pinned at inventory time (after `destroy` the container is gone):
 * what the container was started with beyond its image's defaults (command, entrypoint, environment,
 * labels, user, working dir, ports, healthcheck, restart policy, mounts, networks, resources). It goes
 * into workflow history, so it never holds a credential value: an environment variable whose name looks
 * like a credential, or any value holding URL userinfo (`scheme://user:pass@`), is kept as its name only,
 * marked redacted; a redeploy then needs each supplied (rotated) or dropped.
 */
import type { ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import type { JsonValue } from '../types.js';

/** Environment variable names that usually hold credentials (only the names are recorded, never values). */
export const CREDENTIAL_NAME = /(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIAL|AUTH|PRIVATE|DSN|_URL)$|^AWS_|^GOOGLE_APPLICATION/i;

/** The strings of a list the Engine API types loosely. */
export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** A value that carries credentials in a URL: `scheme://user:pass@host` or `scheme://token@host`. */
export const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/[^\s/@]+@/i;
/** A command-line flag that carries a credential as its value (`--password=...`, `--api-key=...`). */
const CREDENTIAL_FLAG = /^--?[\w.-]*(?:password|passwd|secret|token|api[-_]?key|credential)[\w.-]*=/i;
/** Longer values are not pinned (the spec must stay small): they are redacted and must be supplied. */
export const MAX_SPEC_VALUE = 4096;

/** Why a value was left out of the spec. */
export type RedactionReason = 'credential-name' | 'url-userinfo' | 'credential-flag' | 'too-long';

/** One environment variable: its value, or only its name when redacted. */
export type SpecEnv = { name: string; value: string } | { name: string; redacted: true; reason: RedactionReason };

/** One network the replacement joins, with the aliases and static addresses the user gave. */
export type SpecNetwork = { name: string; aliases: string[]; ipv4?: string; ipv6?: string };

/** One mount: a named volume (by name), a bind mount (host path) or a tmpfs. */
export type SpecMount = { type: 'volume' | 'bind' | 'tmpfs'; source?: string; target: string; readOnly: boolean };

/** The healthcheck the container was given (durations in nanoseconds, as the Engine API takes them). */
export type SpecHealthcheck = { test: string[]; interval?: number; timeout?: number; startPeriod?: number; retries?: number };

/**
 * The docker provider's `spec`: fields absent mean the image's default. `redacted` names what was left
 * out (`env:NAME`, `label:KEY`, `cmd`, `entrypoint`, `healthcheck`): a redeploy refuses until each is
 * supplied or dropped by its overrides.
 */
export type DockerSpec = {
  cmd?: string[];
  entrypoint?: string[];
  env: SpecEnv[];
  labels: Record<string, string>;
  redacted: string[];
  user?: string;
  workingDir?: string;
  exposedPorts?: string[];
  healthcheck?: SpecHealthcheck | null;
  tty?: boolean;
  restartPolicy: { name: string; maximumRetryCount: number };
  networkMode: string;
  networks: SpecNetwork[];
  mounts: SpecMount[];
  portBindings?: Record<string, Array<{ hostIp: string; hostPort: string }>>;
  resources: { memory?: number; nanoCpus?: number; cpuShares?: number; pidsLimit?: number };
  security: { privileged?: boolean; readonlyRootfs?: boolean; capAdd?: string[]; capDrop?: string[]; securityOpt?: string[]; init?: boolean };
};

/** Why a value may not be pinned, or undefined when it may. */
export function redactionOf(value: string): RedactionReason | undefined {
  if (URL_USERINFO.test(value)) return 'url-userinfo';
  if (CREDENTIAL_FLAG.test(value)) return 'credential-flag';
  if (value.length > MAX_SPEC_VALUE) return 'too-long';
  return undefined;
}

/** An environment variable as the spec keeps it. */
export function specEnv(name: string, value: string): SpecEnv {
  if (CREDENTIAL_NAME.test(name)) return { name, redacted: true, reason: 'credential-name' };
  const reason = redactionOf(value);
  return reason === undefined ? { name, value } : { name, redacted: true, reason };
}

function envEntries(list: readonly string[] | undefined): Array<[string, string]> {
  return (list ?? []).map((entry) => {
    const at = entry.indexOf('=');
    return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
  });
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The spec of a container; `image` is its image's inspect (undefined when the image is gone: nothing is a default). */
export function containerSpec(info: ContainerInspectInfo, image: ImageInspectInfo | undefined): DockerSpec {
  const config = info.Config;
  const defaults = image?.Config;
  const host = info.HostConfig;
  const redacted: string[] = [];
  const spec: DockerSpec = {
    env: [],
    labels: {},
    redacted,
    restartPolicy: { name: host.RestartPolicy?.Name || 'no', maximumRetryCount: host.RestartPolicy?.MaximumRetryCount ?? 0 },
    networkMode: host.NetworkMode || 'default',
    networks: networksOf(info),
    mounts: mountsOf(info),
    resources: {},
    security: {},
  };
  const imageEnv = new Map(envEntries(defaults?.Env ?? undefined));
  // Sorted: the daemon keeps no stable order, and the same container must pin the same way.
  for (const [name, value] of envEntries(config.Env ?? undefined).sort(([a], [b]) => a.localeCompare(b))) {
    if (imageEnv.get(name) === value) continue;
    const entry = specEnv(name, value);
    spec.env.push(entry);
    if ('redacted' in entry) redacted.push(`env:${name}`);
  }
  const imageLabels = defaults?.Labels ?? {};
  for (const [key, value] of Object.entries(config.Labels ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (Object.hasOwn(imageLabels, key) && imageLabels[key] === value) continue;
    if (redactionOf(value) === undefined) spec.labels[key] = value;
    else redacted.push(`label:${key}`);
  }
  for (const field of ['cmd', 'entrypoint'] as const) {
    const value = strings(field === 'cmd' ? config.Cmd : config.Entrypoint);
    const fallback = strings(field === 'cmd' ? defaults?.Cmd : defaults?.Entrypoint);
    if (defaults !== undefined && same(value, fallback)) continue;
    if (value.some((arg) => redactionOf(arg) !== undefined)) redacted.push(field);
    else spec[field] = value;
  }
  if (config.User && config.User !== (defaults?.User ?? '')) spec.user = config.User;
  if (config.WorkingDir && config.WorkingDir !== (defaults?.WorkingDir ?? '')) spec.workingDir = config.WorkingDir;
  const ports = Object.keys(config.ExposedPorts ?? {}).filter((port) => !Object.hasOwn(defaults?.ExposedPorts ?? {}, port));
  if (ports.length > 0) spec.exposedPorts = ports.sort();
  if (config.Tty) spec.tty = true;
  const check = config.Healthcheck;
  if (check !== undefined && !same(check, defaults?.Healthcheck)) {
    const test = strings(check.Test);
    if (test.some((arg) => redactionOf(arg) !== undefined)) redacted.push('healthcheck');
    else spec.healthcheck = test[0] === 'NONE' ? null : healthcheckOf(test, check);
  }
  const bindings = host.PortBindings as Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | undefined;
  if (bindings && Object.keys(bindings).length > 0) {
    spec.portBindings = Object.fromEntries(
      Object.entries(bindings).map(([port, list]) => [port, (list ?? []).map((b) => ({ hostIp: b.HostIp ?? '', hostPort: b.HostPort ?? '' }))]),
    );
  }
  for (const key of ['Memory', 'NanoCpus', 'CpuShares', 'PidsLimit'] as const) {
    const value = host[key];
    if (typeof value === 'number' && value > 0) spec.resources[lowerFirst(key) as keyof DockerSpec['resources']] = value;
  }
  if (host.Privileged) spec.security.privileged = true;
  if (host.ReadonlyRootfs) spec.security.readonlyRootfs = true;
  if (host.Init) spec.security.init = true;
  for (const key of ['CapAdd', 'CapDrop', 'SecurityOpt'] as const) {
    const list = strings(host[key]);
    if (list.length > 0) spec.security[lowerFirst(key) as 'capAdd' | 'capDrop' | 'securityOpt'] = list;
  }
  return withinBudget(spec);
}

/** The most a spec may take as JSON: it goes into workflow history, once per target. */
export const MAX_SPEC_BYTES = 64 * 1024;

/** Leaves out the longest environment values (redacted: a redeploy must supply them) until the spec fits. */
function withinBudget(spec: DockerSpec): DockerSpec {
  let size = JSON.stringify(spec).length;
  const byLength = spec.env
    .map((entry, index) => ({ index, length: 'value' in entry ? entry.value.length : 0 }))
    .filter((entry) => entry.length > 0)
    .sort((a, b) => b.length - a.length);
  for (const { index, length } of byLength) {
    if (size <= MAX_SPEC_BYTES) break;
    const name = spec.env[index]!.name;
    spec.env[index] = { name, redacted: true, reason: 'too-long' };
    spec.redacted.push(`env:${name}`);
    size -= length;
  }
  spec.redacted.sort();
  return spec;
}

function lowerFirst(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

function healthcheckOf(test: string[], check: NonNullable<ContainerInspectInfo['Config']['Healthcheck']>): SpecHealthcheck {
  const out: SpecHealthcheck = { test };
  if (check.Interval) out.interval = check.Interval;
  if (check.Timeout) out.timeout = check.Timeout;
  if (check.StartPeriod) out.startPeriod = check.StartPeriod;
  if (check.Retries) out.retries = check.Retries;
  return out;
}

function networksOf(info: ContainerInspectInfo): SpecNetwork[] {
  const shortId = info.Id.slice(0, 12);
  return Object.entries(info.NetworkSettings.Networks ?? {})
    .filter(([name]) => !['none', 'host'].includes(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, endpoint]) => {
      const ipam = (endpoint.IPAMConfig ?? {}) as { IPv4Address?: string; IPv6Address?: string };
      // Older daemons list the container's short id among the aliases: the replacement gets its own.
      const aliases = strings(endpoint.Aliases as unknown).filter((alias) => alias !== shortId);
      return {
        name,
        aliases,
        ...(ipam.IPv4Address ? { ipv4: ipam.IPv4Address } : {}),
        ...(ipam.IPv6Address ? { ipv6: ipam.IPv6Address } : {}),
      };
    });
}

function mountsOf(info: ContainerInspectInfo): SpecMount[] {
  const mounts: SpecMount[] = [];
  for (const mount of info.Mounts) {
    if (mount.Type === 'volume' && mount.Name) {
      mounts.push({ type: 'volume', source: mount.Name, target: mount.Destination, readOnly: !mount.RW });
    } else if (mount.Type === 'bind') {
      mounts.push({ type: 'bind', source: mount.Source, target: mount.Destination, readOnly: !mount.RW });
    }
  }
  for (const [target, options] of Object.entries(info.HostConfig.Tmpfs ?? {})) {
    if (!mounts.some((mount) => mount.target === target)) {
      mounts.push({ type: 'tmpfs', target, readOnly: options.split(',').includes('ro') });
    }
  }
  return mounts.sort((a, b) => a.target.localeCompare(b.target));
}

/** The spec as the JSON value a target carries. */
export function specValue(spec: DockerSpec): { [key: string]: JsonValue } {
  return JSON.parse(JSON.stringify(spec)) as { [key: string]: JsonValue };
}
