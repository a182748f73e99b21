/** `task`: work for a person, which may establish facts (`sets`). */
import { z } from 'zod';
import type { TaskStep } from '../../domain/plan.js';
import { formatDuration } from '../../domain/duration.js';
import { compact } from '../object.js';
import { Duration, Identifier, RoleRef, stepCommonShape, Text } from '../schema.js';
import { defineKind } from './types.js';

const TaskStepSchema = z
  .strictObject({
    ...stepCommonShape,
    task: Text.meta({ description: 'What to do; may embed ${{ }}.' }),
    assignee: RoleRef.optional(),
    sets: z.array(Identifier).default([]).meta({ description: 'Facts the person records when completing the task.' }),
    due: Duration.optional(),
  })
  .meta({ id: 'TaskStep', description: 'Work for a person.' });
type TaskStepInput = z.infer<typeof TaskStepSchema>;

/** The `task` step kind. */
export const taskKind = defineKind<TaskStepInput, TaskStep>({
  key: 'task',
  planKind: 'task',
  summary: 'work for a person, who may record facts on completion',
  schema: TaskStepSchema,
  supportsRetry: false,
  secretsAllowedIn: [],
  factsSet: (step) => step.sets,
  check(step, ctx) {
    if (step.assignee !== undefined) ctx.checkRole(['assignee'], step.assignee);
    step.sets.forEach((fact, index) => ctx.checkFact(['sets', index], fact));
  },
  compile: (step, ctx) =>
    compact({
      kind: 'task' as const,
      ...ctx.common(step),
      task: step.task,
      assignee: step.assignee === undefined ? undefined : ctx.role(step.assignee),
      sets: [...step.sets],
      dueMs: step.due === undefined ? undefined : ctx.ms(step.due),
    }),
  describe: (step) =>
    [
      'task',
      step.assignee ? `assignee role:${step.assignee.role}` : undefined,
      step.sets.length > 0 ? `sets ${step.sets.join(', ')}` : undefined,
      step.dueMs !== undefined ? `due ${formatDuration(step.dueMs)}` : undefined,
    ]
      .filter(Boolean)
      .join('  '),
});
