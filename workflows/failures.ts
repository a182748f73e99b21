/** Turns whatever a step threw into a code and a message for the state, the timeline and the caller. */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  TemporalFailure,
  TimeoutFailure,
  isCancellation,
} from '@temporalio/workflow';
import { ErrorCode } from '../src/domain/errors.js';
import type { StepError } from '../src/domain/state.js';

/** The innermost meaningful code and message of a failure. */
export function describeFailure(error: unknown): StepError {
  if (error instanceof ActivityFailure || error instanceof ChildWorkflowFailure) {
    if (error.cause) {
      const inner = describeFailure(error.cause);
      return error instanceof ChildWorkflowFailure && inner.code !== ErrorCode.Timeout
        ? { code: ErrorCode.ChildFailed, message: inner.message }
        : inner;
    }
  }
  if (error instanceof ApplicationFailure) return { code: error.type ?? ErrorCode.Transient, message: error.message };
  if (error instanceof TimeoutFailure) return { code: ErrorCode.Timeout, message: `timed out (${error.timeoutType})` };
  if (isCancellation(error)) return { code: 'CANCELLED', message: 'cancelled' };
  if (error instanceof TemporalFailure) return { code: ErrorCode.Transient, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
