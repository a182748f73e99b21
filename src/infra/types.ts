/**
 * The infrastructure port: one interface every burn-down provider (docker now; aws, command and a
 * Kubernetes provider later) implements over a pinned target set. A selector is resolved once, by
 * `inventory`, into a frozen, JSON-safe list of targets; every later operation takes one of those targets,
 * never a selector, so a container started later under the same name or label is never touched.
 *
 * Providers declare what they support in `capabilities`. An operation outside it throws UNSUPPORTED and
 * changes nothing: it is never a stub that pretends to work. Errors are FirebreakErrors whose codes carry
 * the retry semantics: TRANSIENT (the daemon or API is away: retried), NOT_FOUND (the target or a network it
 * needs is gone), INVALID_INPUT (a selector or request the provider refuses), UNSUPPORTED.
 */

/** Every operation of the port, in the order a burn-down uses them. */
export const INFRA_OPERATIONS = [
  'inventory',
  'protect',
  'isolate',
  'unisolate',
  'capture',
  'destroy',
  'redeploy',
  'health',
  'indicators',
] as const;
export type InfraOperation = (typeof INFRA_OPERATIONS)[number];

/** The provider kinds `infra.providers.<name>.kind` accepts. */
export const INFRA_PROVIDER_KINDS = ['docker', 'command', 'aws'] as const;
export type InfraProviderKind = (typeof INFRA_PROVIDER_KINDS)[number];

/**
 * What to pin, exactly one key: a target id (a provider's full id, or for docker a unique prefix of at least
 * 12 hex digits), its exact name, labels or tags that must all match (`key: value`), or the image it runs
 * (a reference `repo:tag`, `repo@sha256:...`, or a bare digest or image id `sha256:...`).
 */
export type TargetSelector =
  | { readonly id: string }
  | { readonly name: string }
  | { readonly labels: Readonly<Record<string, string>> }
  | { readonly image: string };

/** How many targets `inventory` pins by default, and at most: the list goes into workflow history. */
export const INVENTORY_DEFAULT_LIMIT = 50;
export const INVENTORY_MAX_LIMIT = 500;

/** Options of `inventory`. */
export interface InventoryOptions {
  /** Pin at most this many targets (1 to INVENTORY_MAX_LIMIT, default INVENTORY_DEFAULT_LIMIT). */
  limit?: number;
}

/** The image a target runs, pinned by digest where the provider can know it. */
export interface TargetImage {
  /** The reference the target was created from, as written (`registry/app:1.4`). */
  ref: string;
  /** The provider's image id (`sha256:...` for docker, an AMI id for aws). */
  id?: string;
  /** The registry's manifest digest (`sha256:...`); absent when the image was never pushed or pulled by digest. */
  digest?: string;
  /** `repository@digest`, what a redeploy by digest names. */
  pinned?: string;
}

/** One network a target is attached to, with what it takes to attach it again the same way. */
export interface TargetNetwork {
  name: string;
  id?: string;
  aliases: string[];
  /** The addresses it has now. */
  ipv4?: string;
  ipv6?: string;
  mac?: string;
  /** The security groups on it (aws: the ENI's group ids), what a redeploy puts the replacement in. */
  securityGroups?: string[];
}

/** A volume, bind mount or disk attached to a target. */
export interface TargetMount {
  /** `volume`, `bind`, `tmpfs` (docker); `ebs` (aws); `pvc` (kubernetes). */
  type: string;
  /** The volume's name or id, when it has one. */
  name?: string;
  /** Where it comes from on the host (bind mounts), when the provider says. */
  source?: string;
  /** Where the target sees it. */
  destination: string;
  readOnly: boolean;
}

/**
 * A credential the target can use, as far as the provider can know: never a value. Docker: the names of
 * environment variables that look like credentials, mounted secrets, the Docker socket; aws: the instance
 * role; kubernetes: the service account.
 */
export interface TargetCredential {
  /** `env`, `secret-mount`, `docker-socket`, `instance-role`, `service-account`. */
  kind: string;
  /** The variable name, the mount point or the role: what to revoke or rotate. */
  name: string;
  /** Why it counts (`mounts the Docker socket: root on the host`). */
  note?: string;
}

/** A pinned target with its metadata at inventory time: small and JSON-safe (it goes into workflow history). */
export interface InfraTarget {
  /** The configured provider's name (`infra.providers.<name>`). */
  provider: string;
  /** The provider's kind (`docker`). */
  kind: string;
  /** The provider's id for it: the operations act on this, never on the name. */
  id: string;
  name: string;
  image: TargetImage;
  networks: TargetNetwork[];
  mounts: TargetMount[];
  /** Labels or tags; values longer than 256 characters are cut, at most 64 kept (see `labelsCut`). */
  labels: Record<string, string>;
  /** True when some labels were left out or shortened to keep the target small. */
  labelsCut?: boolean;
  credentials: TargetCredential[];
  /** `running`, `exited`, `paused`, ... as the provider says. */
  state: string;
  /** ISO 8601, when the provider knows it. */
  createdAt?: string;
  /**
   * Provider-specific configuration a redeploy recreates the target from, pinned now because `destroy`
   * removes the original (docker: `DockerSpec` in src/infra/docker/spec.ts). Never a credential value:
   * what looks like one is kept by name only, and a redeploy needs it supplied or dropped.
   */
  spec?: { [key: string]: JsonValue };
  /**
   * Provider-specific facts a later operation needs to act the same way (aws: `instanceType`, `vpcId`,
   * `availabilityZone`, `instanceProfileArn`), JSON-safe.
   */
  details?: { [key: string]: JsonValue };
}

/** What `inventory` pinned: frozen, with the count that matched and whether the list was cut. */
export interface TargetSet {
  provider: string;
  selector: TargetSelector;
  targets: readonly InfraTarget[];
  /** How many targets matched; more than `targets.length` when `capped`. */
  total: number;
  /** True when more targets matched than the limit: the runbook should narrow its selector. */
  capped: boolean;
  /** ISO 8601, when the selector was resolved. */
  resolvedAt: string;
}

/** One change an operation made, with the value before, so it can be reported and undone. */
export interface InfraChange {
  /** What changed (`restart-policy`, `network`, `security-groups`, `network-policy`). */
  what: string;
  /** The resource it concerns (a network name, a policy name); the target itself when absent. */
  resource?: string;
  before?: JsonValue;
  after?: JsonValue;
}

/** Options of `protect`. */
export interface ProtectOptions {
  /** The incident the target is protected for, when the caller knows it (aws tags the instance with it). */
  incident?: string;
  /**
   * A result an interrupted attempt left (the details of its error): its changes are kept, so a retry never
   * forgets what the first attempt already changed.
   */
  resume?: ProtectResult;
}

/** What `protect` did: the changes it made (none when already protected) and what it could not do. */
export interface ProtectResult {
  targetId: string;
  changes: InfraChange[];
  /** What protection the provider cannot give on this target, for the timeline. */
  warnings: string[];
}

/**
 * What `isolate` changed, for `unisolate` (the compensation). Each change holds everything needed to undo
 * it exactly (docker: a network with its endpoint configuration; kubernetes: the quarantine policy made).
 */
export interface IsolationRecord {
  targetId: string;
  provider: string;
  changes: InfraChange[];
  /** True when the target was already isolated and nothing was changed. */
  alreadyIsolated: boolean;
}

/** Options of `isolate`. */
export interface IsolateOptions {
  /**
   * A record left by an interrupted attempt (from heartbeat details): its changes are kept and the attempt
   * continues, so a retry never forgets what the first attempt already undid.
   */
  resume?: IsolationRecord;
  /** Called after each change with the record so far (an activity heartbeats it). */
  progress?: (partial: IsolationRecord) => void;
}

/** What `unisolate` did with each change of the record. */
export interface UnisolateResult {
  targetId: string;
  /** Changes undone now. */
  restored: InfraChange[];
  /** Changes already undone (a retried compensation): nothing to do. */
  alreadyRestored: InfraChange[];
  /**
   * Changes `unisolate` leaves in place by design, so the record is accounted for whole (aws: the revocation
   * of the instance role's sessions, which must not be undone).
   */
  kept?: InfraChange[];
}

/** One artefact kind `capture` can take. */
export type CaptureArtefact =
  'metadata' | 'processes' | 'logs' | 'diff' | 'filesystem' | 'image' | 'snapshot' | 'console';

/**
 * Where `capture` streams artefacts: the evidence store, which hashes while writing. `write` consumes the
 * whole body; when the body throws (the daemon went away mid-stream) it must reject and must not count what
 * it wrote as evidence.
 */
export interface EvidenceSink {
  write(
    artefact: string,
    body: AsyncIterable<Uint8Array>,
    meta: { contentType: string },
  ): Promise<{ location: string; size: number; sha256: string }>;
}

/** What to capture from a target. */
export interface CaptureRequest {
  target: InfraTarget;
  artefacts: readonly CaptureArtefact[];
  sink: EvidenceSink;
  /**
   * A result an interrupted attempt left (from heartbeat details, or the details of its error): the artefacts
   * it already stored are kept as they are and not captured again.
   */
  resume?: CaptureResult;
  /** Called after each artefact is stored with the result so far (an activity heartbeats it). */
  progress?: (partial: CaptureResult) => void;
  /**
   * Called while a long artefact streams, every few MiB, with the bytes given to the sink so far, so an
   * activity can heartbeat during a single export that outlasts its heartbeat timeout.
   */
  streaming?: (status: { artefact: CaptureArtefact; bytes: number }) => void;
  /**
   * Called when an artefact has started work outside Firebreak that must not be started again (aws: the
   * volume snapshots, which continue in EBS), with the result so far holding it: an activity heartbeats it
   * like `progress`, so a retry resumes waiting for that work instead of starting it twice.
   */
  started?: (partial: CaptureResult) => void;
  /** The incident the evidence is for, when the caller knows it (aws tags volume snapshots with it). */
  incident?: string;
}

/** One captured artefact as the sink stored it. */
export interface CapturedArtefact {
  artefact: CaptureArtefact;
  location: string;
  size: number;
  sha256: string;
}

/** A volume snapshot `capture` started (aws), kept in the result so a retry waits for it instead of starting another. */
export interface StartedSnapshot {
  volumeId: string;
  /** The device the volume is attached as (`/dev/xvda`). */
  device: string;
  snapshotId: string;
}

/** What `capture` stored. */
export interface CaptureResult {
  targetId: string;
  artefacts: CapturedArtefact[];
  /** Snapshots started by this capture (aws), stored or still completing. */
  snapshots?: StartedSnapshot[];
}

/** What `destroy` removes: the target, and its volumes only when asked. */
export interface DestroyRequest {
  target: InfraTarget;
  /** Remove the target's volumes too (default false: volumes are kept). */
  removeVolumes?: boolean;
  /** How long the target may take to stop before it is killed, in seconds (default 10). */
  gracePeriodSeconds?: number;
}

/** What `destroy` removed and kept. */
export interface DestroyResult {
  targetId: string;
  /** True when this call removed it; false when it was gone already (a retried destroy is not an error). */
  removed: boolean;
  keptVolumes: string[];
  /** True when the target was gone before this call. */
  alreadyGone?: boolean;
  /** The volumes removed (with `removeVolumes`), or found gone already. */
  removedVolumes?: string[];
  /** What happened, for the timeline (how it stopped, why a volume was kept). */
  detail?: string;
  /** What `destroy` changed first so the removal could happen as asked (aws: termination protection off), with the value before. */
  changes?: InfraChange[];
}

/** A pinned artefact to redeploy from: an image by digest, a machine image, a template version. */
export interface PinnedArtefact {
  /** `image` (docker, kubernetes: `repo@sha256:...`; a tag without a digest is refused), `ami`, `launch-template`. */
  kind: string;
  ref: string;
  /** The launch template version, for `launch-template`. */
  version?: string;
}

/** A replacement for a destroyed target: the same configuration except what `overrides` changes. */
export interface RedeployRequest {
  target: InfraTarget;
  artefact: PinnedArtefact;
  /** Provider-specific changes to the configuration (environment, labels, name). */
  overrides?: Readonly<Record<string, JsonValue>>;
}

/** The replacement, pinned like an inventoried target. */
export interface RedeployResult {
  replaced: string;
  target: InfraTarget;
}

/** How to check health: the provider's own check, or an HTTP probe. */
export interface HealthRequest {
  target: InfraTarget;
  /** An HTTP GET from the worker (docker: loopback, or hosts the provider's config allows; redirects not followed). */
  probe?: { url: string; expectStatus?: number };
  /** How long to wait for a verdict (a healthcheck still starting, a service not answering yet); default 60 s. */
  timeoutMs?: number;
}

/** A health verdict. */
export interface HealthResult {
  targetId: string;
  healthy: boolean;
  detail: string;
}

/** An indicator of compromise that must be absent. */
export type Indicator =
  | { kind: 'file'; path: string }
  | { kind: 'process'; pattern: string }
  | { kind: 'hash'; path: string; sha256: string };

/** Which indicators to look for on a target. */
export interface IndicatorsRequest {
  target: InfraTarget;
  indicators: readonly Indicator[];
}

/** Every indicator with whether it was found. */
export interface IndicatorsResult {
  targetId: string;
  findings: Array<{ indicator: Indicator; present: boolean; detail?: string }>;
}

/** A JSON value: what results may hold, since they go into workflow history. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * One configured provider. Operations outside `capabilities` throw UNSUPPORTED without touching anything.
 * Every operation acts on the pinned target's id, and throws NOT_FOUND when it is gone, except `destroy`,
 * which answers `removed: false` then, so a retried destroy passes.
 */
export interface InfraProvider {
  /** The configured name (`infra.providers.<name>`). */
  readonly name: string;
  readonly kind: InfraProviderKind;
  readonly capabilities: ReadonlySet<InfraOperation>;
  /** Resolves a selector once into a frozen target set; a selector that matches nothing gives an empty set. */
  inventory(selector: TargetSelector, options?: InventoryOptions): Promise<TargetSet>;
  /** Keeps the target from being restarted, replaced or terminated automatically; idempotent. */
  protect(target: InfraTarget, options?: ProtectOptions): Promise<ProtectResult>;
  /** Cuts the target off every network it is on, recording each for `unisolate`; idempotent. */
  isolate(target: InfraTarget, options?: IsolateOptions): Promise<IsolationRecord>;
  /** Undoes an isolation exactly as recorded; a change already undone is skipped. */
  unisolate(target: InfraTarget, record: IsolationRecord): Promise<UnisolateResult>;
  capture(request: CaptureRequest): Promise<CaptureResult>;
  destroy(request: DestroyRequest): Promise<DestroyResult>;
  redeploy(request: RedeployRequest): Promise<RedeployResult>;
  health(request: HealthRequest): Promise<HealthResult>;
  indicators(request: IndicatorsRequest): Promise<IndicatorsResult>;
}
