/**
 * Worker bootstrap: the one place that knows the concrete adapters. It builds the built-in actions from
 * the config, the secret resolver over this process's environment, and the activities over them, and
 * registers the workflow bundle (prebuilt, or bundled from source).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeConnection } from '@temporalio/worker';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { builtinActions, createActionRegistry } from '../actions/registry.js';
import type { ActionDefinition } from '../actions/types.js';
import type { FirebreakConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { createSecretResolver } from '../secrets/resolver.js';
import { INCIDENT_TASK_QUEUE } from '../temporal/names.js';

export interface IncidentWorkerOptions {
  connection: NativeConnection;
  config: FirebreakConfig;
  logger: Logger;
  /** Directory relative paths in the config resolve against (the config file's directory). */
  baseDir: string;
  /** Environment secrets resolve from (`env:NAME`); the process environment by default. */
  env?: Readonly<Record<string, string | undefined>>;
  taskQueue?: string;
  /** A prebuilt workflow bundle; when absent the workflows are bundled from source at start. */
  workflowBundlePath?: string;
  /** Extra actions beyond the built-ins (plugins, tests). */
  extraActions?: ActionDefinition[];
  /** Worker tuning passed through (e.g. maxConcurrentActivityTaskExecutions). */
  tuning?: Partial<
    Pick<
      WorkerOptions,
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxCachedWorkflows'
      | 'stickyQueueScheduleToStartTimeout'
    >
  >;
}

/** The workflows entry point next to this file: `workflows/index.ts` in source, `.js` once built. */
export function workflowsEntry(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const extension = path.extname(fileURLToPath(import.meta.url));
  return path.resolve(here, '../../workflows', `index${extension}`);
}

/** Creates (but does not run) the incident worker. */
export async function createIncidentWorker(options: IncidentWorkerOptions): Promise<Worker> {
  const { config, baseDir } = options;
  const actions = createActionRegistry([
    ...builtinActions({
      http: config.actions.http,
      command: { ...config.actions.command, scriptsDir: path.resolve(baseDir, config.actions.command.scriptsDir) },
    }),
    ...(options.extraActions ?? []),
  ]);
  const secrets = createSecretResolver({ env: options.env ?? process.env, baseDir });
  const activities = createActivities({ actions, secrets, logger: options.logger });
  return Worker.create({
    connection: options.connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? INCIDENT_TASK_QUEUE,
    activities,
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: workflowsEntry() }),
    ...options.tuning,
  });
}
