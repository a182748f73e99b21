/**
 * Docker destroy: the pinned container stopped (SIGTERM, then SIGKILL after the grace period, as `docker
 * stop` does) and removed by id; its named volumes are kept unless asked, and bind-mount sources are never
 * touched. Idempotent: a container already gone is a result that says so, so a retried destroy passes.
 */
import type Docker from 'dockerode';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { deepFreeze } from '../selector.js';
import type { DestroyRequest, DestroyResult } from '../types.js';
import { engine, engineFailure } from './client.js';
import { inspectPinned } from './inventory.js';

/** How long a container may take to stop before it is killed, by default. */
export const DEFAULT_GRACE_SECONDS = 10;
const MAX_GRACE_SECONDS = 600;

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

function graceOf(value: unknown): number {
  if (value === undefined) return DEFAULT_GRACE_SECONDS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_GRACE_SECONDS) {
    throw new FirebreakError(ErrorCode.InvalidInput, `destroy: gracePeriodSeconds must be a whole number from 0 to ${MAX_GRACE_SECONDS}`);
  }
  return value;
}

/** Stops and removes the pinned container; removes its named volumes only with `removeVolumes`. */
export async function destroy(docker: Docker, request: DestroyRequest): Promise<DestroyResult> {
  const { target } = request;
  const grace = graceOf(request.gracePeriodSeconds);
  if (request.removeVolumes !== undefined && typeof request.removeVolumes !== 'boolean') {
    throw new FirebreakError(ErrorCode.InvalidInput, 'destroy: removeVolumes must be true or false');
  }
  const short = target.id.slice(0, 12);
  let volumes: string[];
  let removed = false;
  let detail: string;
  try {
    const info = await inspectPinned(docker, 'destroy', target);
    volumes = info.Mounts.filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name!);
    const container = docker.getContainer(target.id);
    const wasRunning = info.State.Running || info.State.Paused || info.State.Restarting;
    if (wasRunning) {
      try {
        await container.stop({ t: grace });
      } catch (error) {
        // 304: stopped meanwhile; 404: gone meanwhile (a --rm container removes itself once stopped).
        if (statusOf(error) !== 304 && statusOf(error) !== 404) throw engineFailure(error, `docker: stop ${short}`);
      }
    }
    removed = await removeContainer(docker, target.id);
    detail = wasRunning ? `stopped (grace period ${grace} s, then killed) and removed` : `removed (it was ${info.State.Status})`;
  } catch (error) {
    if (!(error instanceof FirebreakError) || error.code !== ErrorCode.NotFound) throw error;
    // Gone before this call (a retry after the removal, or someone else): the volumes are the pinned ones.
    volumes = target.mounts.filter((m) => m.type === 'volume' && m.name).map((m) => m.name!);
    detail = 'the container was gone already';
  }
  const result: DestroyResult = { targetId: target.id, removed, keptVolumes: [], alreadyGone: !removed, removedVolumes: [], detail };
  if (!request.removeVolumes) {
    result.keptVolumes = volumes;
    return deepFreeze(result);
  }
  const notes: string[] = [];
  for (const name of volumes) {
    try {
      await docker.getVolume(name).remove();
      result.removedVolumes!.push(name);
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) result.removedVolumes!.push(name);
      else if (status === 409) {
        // Another container uses it: removing it would break that one.
        result.keptVolumes.push(name);
        notes.push(`volume ${name} kept: another container uses it`);
      } else throw engineFailure(error, `docker: remove volume ${name}`);
    }
  }
  if (notes.length > 0) result.detail = `${detail}; ${notes.join('; ')}`;
  return deepFreeze(result);
}

/** Removes a stopped container; true when this call removed it, false when it went away by itself. */
async function removeContainer(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).remove({ force: true, v: false });
    return true;
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) return true;
    if (status === 409) {
      // A removal already in progress (--rm after the stop): wait until it is gone.
      for (let i = 0; i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const gone = await engine('docker: inspect', () => docker.getContainer(id).inspect()).then(
          () => false,
          (failure: FirebreakError) => (failure.code === ErrorCode.NotFound ? true : Promise.reject(failure)),
        );
        if (gone) return true;
      }
      throw new FirebreakError(ErrorCode.Transient, `docker: container ${id.slice(0, 12)} is still being removed`);
    }
    throw engineFailure(error, `docker: remove ${id.slice(0, 12)}`);
  }
}
