/**
 * Helpers for honouring an AbortSignal (an action's, a backup driver's): pure, shared by src/actions and
 * src/backup so neither imports the other for them.
 */
import { ErrorCode, FirebreakError } from './errors.js';

/**
 * The error to throw when `signal` aborts: its reason when that is an Error (the activity sets a
 * CancelledFailure or a TIMEOUT FirebreakError), otherwise a generic cancellation.
 */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new FirebreakError(ErrorCode.Transient, 'the action was cancelled');
}

/** Throws the abort reason if `signal` has already aborted. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortReason(signal);
}
