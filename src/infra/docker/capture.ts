/**
 * Docker capture: the evidence a container can give, each artefact streamed to the evidence sink in one
 * `write` (never held whole in memory): inspect metadata (credential values redacted), processes, logs
 * (capped), the filesystem diff, an export of the filesystem, and a commit to a quarantine image saved as a
 * tar. Every request is checked before anything is written; an artefact whose stream breaks off is not
 * reported, and the error carries the artefacts already stored, which a retry passes back as `resume`.
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { deepFreeze } from '../selector.js';
import type { CaptureArtefact, CapturedArtefact, CaptureRequest, CaptureResult, EvidenceSink } from '../types.js';
import { engine } from './client.js';
import { CREDENTIAL_NAME, inspectContainer } from './inventory.js';
import { chunks, counted, demultiplex } from './streams.js';

/** The artefacts Docker can give, in the order they are captured (the most volatile first). */
export const DOCKER_ARTEFACTS = ['metadata', 'processes', 'logs', 'diff', 'filesystem', 'image'] as const;
type DockerArtefact = (typeof DOCKER_ARTEFACTS)[number];

/** The longest log artefact by default (64 MiB); what is past it is left out and the artefact says so. */
export const DEFAULT_LOG_LIMIT_BYTES = 64 * 1024 * 1024;
/** The repository quarantine images are committed to: `firebreak-quarantine/<container name>`. */
export const QUARANTINE_REPOSITORY = 'firebreak-quarantine';
/** The label a quarantine image carries, with the id of the container it was committed from. */
export const QUARANTINE_LABEL = 'firebreak.quarantine';
const REDACTED = '[redacted by firebreak]';

/** What capture needs besides the request. */
export interface CaptureContext {
  docker: Docker;
  now: () => Date;
  logLimitBytes: number;
}

/** One artefact's file name under the target's folder, and how to stream it. */
interface Plan {
  file: string;
  contentType: string;
  source: () => AsyncIterable<Uint8Array>;
  /** Runs after the write, succeeded or not (removing the quarantine image). */
  cleanup?: () => Promise<void>;
}

/** Checks the request, then streams each artefact asked for to the sink, in DOCKER_ARTEFACTS order. */
export async function capture(context: CaptureContext, request: CaptureRequest): Promise<CaptureResult> {
  const wanted = checkArtefacts(request.artefacts);
  const { docker } = context;
  const { target, sink, progress, streaming, resume } = request;
  if (resume !== undefined && resume.targetId !== target.id) {
    throw new FirebreakError(ErrorCode.InvalidInput, `capture: the result to resume is for ${resume.targetId}, not ${target.id}`);
  }
  const done = new Map((resume?.artefacts ?? []).map((stored) => [stored.artefact, stored]));
  const info = await inspectContainer(docker, target.id);
  const running = info.State.Running && !info.State.Restarting;
  if (wanted.includes('processes') && !done.has('processes') && !running) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `capture: container ${target.id.slice(0, 12)} is ${info.State.Status}: it has no processes to capture (leave out \`processes\`)`,
    );
  }
  const folder = target.name || target.id;
  const result: CaptureResult = { targetId: target.id, artefacts: [] };
  for (const artefact of wanted) {
    const earlier = done.get(artefact);
    if (earlier !== undefined) {
      result.artefacts.push(structuredClone(earlier));
      continue;
    }
    let plan: Plan | undefined;
    try {
      plan = await planFor(context, info, artefact);
      const onBytes = streaming && ((bytes: number) => streaming({ artefact, bytes }));
      result.artefacts.push(await store(sink, `${folder}/${plan.file}`, artefact, plan, onBytes));
    } catch (error) {
      // Nothing partial is reported: the artefacts stored so far go with the error, for a retry to resume.
      const failure = error instanceof FirebreakError ? error : sinkFailure(error, artefact);
      throw new FirebreakError(failure.code, failure.message, { result: structuredClone(result) });
    } finally {
      await plan?.cleanup?.();
    }
    progress?.(structuredClone(result));
  }
  return deepFreeze(result);
}

/** The artefacts asked for, known, distinct and in capture order; anything else is refused naming it. */
function checkArtefacts(artefacts: readonly CaptureArtefact[]): DockerArtefact[] {
  if (!Array.isArray(artefacts) || artefacts.length === 0) {
    throw new FirebreakError(ErrorCode.InvalidInput, `capture: name at least one artefact (${DOCKER_ARTEFACTS.join(', ')})`);
  }
  const seen = new Set<string>();
  for (const [i, artefact] of artefacts.entries()) {
    if (artefact === 'snapshot') {
      throw new FirebreakError(
        ErrorCode.Unsupported,
        `capture: artefacts[${i}] \`snapshot\` is a volume snapshot, which Docker cannot take (it gives ${DOCKER_ARTEFACTS.join(', ')})`,
      );
    }
    if (typeof artefact !== 'string' || !(DOCKER_ARTEFACTS as readonly string[]).includes(artefact)) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `capture: artefacts[${i}] ${JSON.stringify(artefact)} is not an artefact Docker gives (${DOCKER_ARTEFACTS.join(', ')})`,
      );
    }
    if (seen.has(artefact)) throw new FirebreakError(ErrorCode.InvalidInput, `capture: artefacts[${i}] \`${artefact}\` is named twice`);
    seen.add(artefact);
  }
  return DOCKER_ARTEFACTS.filter((artefact) => seen.has(artefact));
}

/** Writes one artefact and checks the sink read all of it: a sink that stopped early stored a partial artefact. */
async function store(
  sink: EvidenceSink,
  name: string,
  artefact: DockerArtefact,
  plan: Plan,
  onBytes: ((bytes: number) => void) | undefined,
): Promise<CapturedArtefact> {
  const body = counted(`capture ${artefact}`, plan.source, onBytes);
  let written: Awaited<ReturnType<EvidenceSink['write']>>;
  try {
    written = await sink.write(name, body.body, { contentType: plan.contentType });
  } catch (error) {
    // The stream's own failure (the daemon away) says more than the sink's rejection of it.
    throw body.failure() ?? error;
  }
  if (!body.complete() || written.size !== body.bytes()) {
    throw new FirebreakError(
      ErrorCode.Transient,
      `capture ${artefact}: the evidence sink stored ${written.size} bytes of ${body.complete() ? body.bytes() : 'an unfinished stream'}; not counted`,
    );
  }
  return { artefact, location: written.location, size: written.size, sha256: written.sha256 };
}

function sinkFailure(error: unknown, artefact: string): FirebreakError {
  const reason = error instanceof Error ? error.message : String(error);
  return new FirebreakError(ErrorCode.Transient, `capture ${artefact}: the evidence sink failed (${reason})`);
}

async function planFor(context: CaptureContext, info: ContainerInspectInfo, artefact: DockerArtefact): Promise<Plan> {
  const { docker } = context;
  const id = info.Id;
  const short = id.slice(0, 12);
  const container = docker.getContainer(id);
  switch (artefact) {
    case 'metadata': {
      const image = await engine(`docker: inspect image ${info.Image}`, () => docker.getImage(info.Image).inspect()).catch(
        (error: unknown) => {
          // The image may have been removed while the container runs: the container's metadata still counts.
          if (error instanceof FirebreakError && error.code === ErrorCode.NotFound) return null;
          throw error;
        },
      );
      const document = { capturedAt: context.now().toISOString(), container: redact(info), image: image && redact(image) };
      return json('metadata.json', document);
    }
    case 'processes': {
      const started = context.now();
      const top: unknown = await engine(`docker: list the processes of ${short}`, () => container.top({ ps_args: 'aux' }));
      const took = context.now().getTime() - started.getTime();
      return json('processes.json', { capturedAt: started.toISOString(), tookMs: took, psArgs: 'aux', ...(top as object) });
    }
    case 'logs':
      return logsPlan(context, info);
    case 'diff': {
      const changes: unknown = await engine(`docker: list the filesystem changes of ${short}`, () => container.changes());
      return json('diff.json', { capturedAt: context.now().toISOString(), changes: changes ?? [] });
    }
    case 'filesystem': {
      const stream = (await engine(`docker: export ${short}`, () => container.export())) as Readable;
      return {
        file: 'filesystem.tar',
        contentType: 'application/x-tar',
        source: () => chunks(stream),
        cleanup: () => Promise.resolve(void stream.destroy()),
      };
    }
    case 'image':
      return imagePlan(context, info);
  }
}

function json(file: string, document: unknown): Plan {
  const bytes = Buffer.from(`${JSON.stringify(document, null, 2)}\n`);
  return { file, contentType: 'application/json', source: () => single(bytes) };
}

// eslint-disable-next-line @typescript-eslint/require-await -- an async iterable of one chunk
async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Inspect output with the values of credential-named variables replaced; the names are kept. */
function redact<T extends object>(inspected: T): T {
  const copy = structuredClone(inspected) as T & { Config?: { Env?: string[] | null }; ContainerConfig?: { Env?: string[] | null } };
  for (const config of [copy.Config, copy.ContainerConfig]) {
    if (!config || !Array.isArray(config.Env)) continue;
    config.Env = config.Env.map((entry) => {
      const at = entry.indexOf('=');
      if (at < 0) return entry;
      const name = entry.slice(0, at);
      return CREDENTIAL_NAME.test(name) ? `${name}=${REDACTED}` : entry;
    });
  }
  return copy;
}

/** stdout and stderr with the daemon's timestamps, one `<stream> <timestamp> <line>` each, cut at the limit. */
async function logsPlan(context: CaptureContext, info: ContainerInspectInfo): Promise<Plan> {
  const { docker, logLimitBytes } = context;
  const short = info.Id.slice(0, 12);
  const stream = await engine(`docker: read the logs of ${short}`, () => openLogs(docker, info.Id));
  const tty = info.Config.Tty === true;
  async function* lines(): AsyncGenerator<Uint8Array> {
    const header = `# firebreak: logs of container ${info.Id} (stdout and stderr, daemon timestamps${tty ? ', one TTY stream' : ''}), at most ${logLimitBytes} bytes\n`;
    yield Buffer.from(header);
    let budget = logLimitBytes;
    const frames = tty
      ? (async function* () {
          for await (const chunk of chunks(stream)) yield { stream: 'tty', payload: Buffer.from(chunk) };
        })()
      : demultiplex(chunks(stream));
    for await (const frame of frames) {
      const line = tty ? frame.payload : Buffer.concat([Buffer.from(`${frame.stream} `), frame.payload]);
      if (line.length > budget) {
        if (budget > 0) yield line.subarray(0, budget);
        yield Buffer.from(`\n# firebreak: truncated: the log is longer than the ${logLimitBytes}-byte limit; what follows was left out\n`);
        // Returning ends the loop, which destroys the daemon's stream.
        return;
      }
      budget -= line.length;
      yield line;
    }
  }
  return {
    file: 'logs.txt',
    contentType: 'text/plain; charset=utf-8',
    source: lines,
    cleanup: () => Promise.resolve(void stream.destroy()),
  };
}

/** The log stream as a stream (dockerode buffers whole logs unless following, so the request is made here). */
function openLogs(docker: Docker, id: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/containers/${id}/logs?`,
        method: 'GET',
        isStream: true,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options: { stdout: true, stderr: true, timestamps: true, follow: false },
      },
      (error: Error | null, stream: unknown) => (error ? reject(error) : resolve(stream as Readable)),
    );
  });
}

/**
 * Commits the container (paused during the commit, Docker's default) to `firebreak-quarantine/<name>:<time>`
 * labelled with its id, streams `docker save` of that reference, then removes the quarantine image: the
 * saved tar in the evidence store is the evidence, and an image of a compromised container left on the
 * daemon could be run by anyone with access to it.
 */
async function imagePlan(context: CaptureContext, info: ContainerInspectInfo): Promise<Plan> {
  const { docker } = context;
  const short = info.Id.slice(0, 12);
  const repo = `${QUARANTINE_REPOSITORY}/${repositoryName(info.Name) || short}`;
  const tag = context.now().toISOString().replace(/[-:]/g, '');
  const reference = `${repo}:${tag}`;
  const committed: unknown = await engine(`docker: commit ${short} to ${reference}`, () =>
    docker.getContainer(info.Id).commit({ repo, tag, pause: true, changes: `LABEL ${QUARANTINE_LABEL}=${info.Id}` }),
  );
  const imageId = (committed as { Id?: string }).Id ?? reference;
  let stream: Readable | undefined;
  const cleanup = async (): Promise<void> => {
    stream?.destroy();
    await docker
      .getImage(imageId)
      .remove({ force: true })
      // Best effort: a quarantine image left behind is labelled and named as such; the capture result stands.
      .catch(() => undefined);
  };
  try {
    stream = (await engine(`docker: save ${reference}`, () => docker.getImage(reference).get())) as Readable;
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { file: 'image.tar', contentType: 'application/x-tar', source: () => chunks(stream), cleanup };
}

/** A container name as a repository path component: lowercase letters and digits joined by single dashes. */
function repositoryName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
