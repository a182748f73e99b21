/**
 * The compensation stack: a step with `compensate:` pushes its compensation when it succeeds; when the run
 * aborts they run in reverse order. A failing compensation is recorded and the rest still run; the
 * failure is reported in the incident's final error, never swallowed.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { CompensationRecord } from '../src/domain/state.js';
import { own } from '../src/domain/own.js';
import { describeFailure } from './failures.js';
import { runAction } from './activity-calls.js';
import { now, type IncidentRun } from './run.js';

export class CompensationStack {
  private readonly stack: Array<{ id: string; forStep: string }> = [];

  constructor(private readonly run: IncidentRun) {}

  /** Registers the compensation of a step that just succeeded. */
  push(id: string, forStep: string): void {
    this.stack.push({ id, forStep });
    this.run.event('compensation.registered', `${id} will undo ${forStep} if the run aborts`, { step: forStep });
  }

  /** Runs every registered compensation, newest first, even when the run is being cancelled. Returns the failures. */
  async unwind(): Promise<CompensationRecord[]> {
    return CancellationScope.nonCancellable(async () => {
      const failures: CompensationRecord[] = [];
      while (this.stack.length > 0) {
        const entry = this.stack.pop()!;
        const record = await this.runOne(entry.id, entry.forStep);
        this.run.state.compensations.push(record);
        if (record.status === 'failed') failures.push(record);
      }
      return failures;
    });
  }

  private async runOne(id: string, forStep: string): Promise<CompensationRecord> {
    const step = own(this.run.plan.compensations, id);
    if (!step)
      return {
        id,
        forStep,
        status: 'failed',
        at: now(),
        error: { code: 'NOT_FOUND', message: `no compensation ${id}` },
      };
    this.run.event('compensation.started', `${this.run.display(step.title)} (undoing ${forStep})`, {
      step: forStep,
      data: { compensation: id },
    });
    try {
      const output = await runAction(this.run, step);
      this.run.event('compensation.succeeded', `${this.run.display(step.title)} succeeded`, {
        step: forStep,
        data: { compensation: id },
      });
      return { id, forStep, status: 'succeeded', at: now(), output };
    } catch (error) {
      const described = describeFailure(error);
      this.run.event('compensation.failed', `${this.run.display(step.title)} failed: ${described.message}`, {
        step: forStep,
        data: { compensation: id, code: described.code },
      });
      return { id, forStep, status: 'failed', at: now(), error: described };
    }
  }
}
