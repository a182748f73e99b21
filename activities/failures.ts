/**
 * The activity edge's error mapping: a FirebreakError becomes an ApplicationFailure whose type is its code
 * and whose `nonRetryable` follows NON_RETRYABLE_CODES; anything unexpected becomes a retryable TRANSIENT.
 * Messages and details are redacted on the way out, since they end up in workflow history.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ErrorCode, FirebreakError, NON_RETRYABLE_CODES } from '../src/domain/errors.js';
import type { JsonValue } from '../src/domain/plan.js';

/** Removes secret values from text and JSON before they leave the activity. */
export interface Redactor {
  redact(text: string): string;
  redactJson(value: JsonValue): JsonValue;
}

const NO_REDACTION: Redactor = { redact: (text) => text, redactJson: (value) => value };

/** Details as JSON (redactable), or dropped when they are not serialisable. */
function jsonDetails(details: unknown, redactor: Redactor): unknown[] {
  if (details === undefined) return [];
  try {
    return [redactor.redactJson(JSON.parse(JSON.stringify(details)) as JsonValue)];
  } catch {
    return [];
  }
}

/**
 * The error an activity should throw for `error`. Cancellation passes through untouched, so that
 * Temporal records the attempt as cancelled rather than failed.
 */
export function toActivityFailure(error: unknown, redactor: Redactor = NO_REDACTION): Error {
  if (error instanceof CancelledFailure) return error;
  if (error instanceof FirebreakError) {
    return ApplicationFailure.create({
      type: error.code,
      message: redactor.redact(error.message),
      nonRetryable: NON_RETRYABLE_CODES.includes(error.code),
      details: jsonDetails(error.details, redactor),
    });
  }
  if (error instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: error.type ?? ErrorCode.Transient,
      message: redactor.redact(error.message),
      nonRetryable: error.nonRetryable ?? false,
      details: jsonDetails(error.details, redactor),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  // No cause is attached: a library's error or stack may quote a header or URL with a secret in it.
  return ApplicationFailure.create({
    type: ErrorCode.Transient,
    message: redactor.redact(message),
    nonRetryable: false,
  });
}

/** A non-retryable INVALID_INPUT failure, for input that can never succeed. */
export function invalidInputFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorCode.InvalidInput, message, nonRetryable: true });
}
