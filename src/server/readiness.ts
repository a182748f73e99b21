/**
 * Readiness: the API can serve incidents only when Temporal answers and a worker polls the incident
 * task queue. Each check says what it found, so a 503 names what is missing.
 */
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';

/**
 * A worker counts as present when one of its pollers was seen within this window. An idle worker's poll
 * is held by the server for up to about a minute before it polls again (50 s measured on the dev
 * server), so a 60 s window would flap on healthy idle workers; 90 s does not.
 */
export const POLLER_WINDOW_MS = 90_000;

/** How long each readiness call to Temporal may take. */
const CHECK_TIMEOUT_MS = 3_000;

// temporal.api.enums.v1: TaskQueueKind.NORMAL and TaskQueueType.WORKFLOW (the proto package is not a runtime dependency)
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;

/** The outcome of one check. */
export interface ReadinessCheck {
  ok: boolean;
  message: string;
}

/** Whether the API is ready, with each check's outcome. */
export interface Readiness {
  ready: boolean;
  checks: { temporal: ReadinessCheck; worker: ReadinessCheck };
}

/** What readiness looks at. */
export interface ReadinessTarget {
  client: Client;
  namespace: string;
  taskQueue: string;
}

/** Checks Temporal (getSystemInfo) and then a recent workflow poller on the task queue. */
export async function checkReadiness(target: ReadinessTarget, now: Date): Promise<Readiness> {
  const temporal = await checkTemporal(target.client, now);
  const worker = temporal.ok
    ? await checkWorker(target, now)
    : { ok: false, message: 'not checked: Temporal is unreachable' };
  return { ready: temporal.ok && worker.ok, checks: { temporal, worker } };
}

async function checkTemporal(client: Client, now: Date): Promise<ReadinessCheck> {
  try {
    await client.withDeadline(now.getTime() + CHECK_TIMEOUT_MS, () => client.workflowService.getSystemInfo({}));
    return { ok: true, message: 'Temporal answers' };
  } catch (error) {
    return { ok: false, message: `Temporal does not answer: ${describe(error)}` };
  }
}

async function checkWorker(target: ReadinessTarget, now: Date): Promise<ReadinessCheck> {
  try {
    const { pollers } = await target.client.withDeadline(now.getTime() + CHECK_TIMEOUT_MS, () =>
      target.client.workflowService.describeTaskQueue({
        namespace: target.namespace,
        taskQueue: { name: target.taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
        taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
      }),
    );
    const since = now.getTime() - POLLER_WINDOW_MS;
    const recent = (pollers ?? []).filter((poller) => (optionalTsToMs(poller.lastAccessTime) ?? 0) >= since);
    if (recent.length > 0) return { ok: true, message: `${recent.length} worker poller(s) on ${target.taskQueue}` };
    return {
      ok: false,
      message: `no worker has polled task queue ${target.taskQueue} in the last ${POLLER_WINDOW_MS / 1000}s`,
    };
  } catch (error) {
    return { ok: false, message: `cannot describe task queue ${target.taskQueue}: ${describe(error)}` };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
