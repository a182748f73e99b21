/** The step-kind registry: the interpreter looks executors up here and never branches on kinds itself. */
import type { StepKind, StepPlan } from '../../src/domain/plan.js';
import { actionExecutor } from './action.js';
import { approvalExecutor } from './approval.js';
import { decisionExecutor } from './decision.js';
import { notifyExecutor } from './notify.js';
import { parallelExecutor } from './parallel.js';
import { postmortemExecutor } from './postmortem.js';
import { runbookExecutor } from './runbook.js';
import { taskExecutor } from './task.js';
import type { ExecutorFor, StepExecutor } from './types.js';
import { waitExecutor } from './wait.js';

const executors: { [K in StepKind]: ExecutorFor<K> } = {
  action: actionExecutor,
  task: taskExecutor,
  decision: decisionExecutor,
  approval: approvalExecutor,
  notify: notifyExecutor,
  parallel: parallelExecutor,
  runbook: runbookExecutor,
  wait: waitExecutor,
  postmortem: postmortemExecutor,
};

/** The executor for a step's kind. */
export function executorFor(step: StepPlan): StepExecutor {
  return executors[step.kind];
}
