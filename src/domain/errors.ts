/**
 * Error codes shared by the engine. Activities map them to `ApplicationFailure` types; workflows fail
 * with them. A code says what went wrong in a way a caller can branch on; the message says it for people.
 */

export const ErrorCode = {
  /** Input that can never succeed: a bad URL, an unknown action, a denied destination. Not retried. */
  InvalidInput: 'INVALID_INPUT',
  /** A destination or command the configuration does not allow. Not retried. */
  NotAllowed: 'NOT_ALLOWED',
  /** An HTTP call answered 5xx, 408 or 429: the remote side may recover. Retried. */
  HttpStatus: 'HTTP_STATUS',
  /**
   * An HTTP call answered with a status that repeating the same request will not change (4xx other than
   * 408 and 429, an unfollowed 3xx, or a 2xx the step did not expect). Not retried.
   */
  HttpRejected: 'HTTP_REJECTED',
  /** A network or I/O failure. Retried. */
  Transient: 'TRANSIENT',
  /** A command exited non-zero. Retried per the step's retry policy. */
  CommandFailed: 'COMMAND_FAILED',
  /** A step or command ran past its timeout. */
  Timeout: 'TIMEOUT',
  /** A `${{ }}` expression failed to evaluate at run time. Not retried. */
  ExpressionError: 'EXPRESSION_ERROR',
  /** A secret reference could not be resolved. Not retried. */
  SecretUnavailable: 'SECRET_UNAVAILABLE',
  /** An approval was rejected or timed out with `reject`. */
  ApprovalRejected: 'APPROVAL_REJECTED',
  /** A step failed and the runbook said to abort. */
  Aborted: 'ABORTED',
  /** A child runbook failed. */
  ChildFailed: 'CHILD_FAILED',
  /**
   * Branches of a `parallel` step failed and, each by its `onFailure: continue`, let the run go on: the
   * group is recorded as failed, and the run continues.
   */
  BranchesFailed: 'BRANCHES_FAILED',
  /** An identity is not allowed to do what it asked. */
  Forbidden: 'FORBIDDEN',
  /** The run is not in a state that accepts the command (step not waiting, already voted). */
  Conflict: 'CONFLICT',
  /** The command names something the run does not have. */
  NotFound: 'NOT_FOUND',
  /**
   * A channel's receiver refused a message for good (an SMTP 5xx for a recipient, a webhook 4xx other
   * than 408 and 429): sending the same message again will not change the answer. Not retried.
   */
  DeliveryRejected: 'DELIVERY_REJECTED',
  /** A backup's bytes do not match its manifest (SHA-256 or size): reading it again will not help. Not retried. */
  BackupCorrupt: 'BACKUP_CORRUPT',
  /** A restore drill failed (a check failed, nothing was verified, or a target was missed). Not retried. */
  DrillFailed: 'DRILL_FAILED',
  /** No restore drill of a runbook passed within the window a freshness check allows. Not retried. */
  DrillStale: 'DRILL_STALE',
  /**
   * A live target does not match its backup after a restore was promoted (`restore.check` with `require`):
   * a check failed or nothing was verified. Checking again will not change the data. Not retried.
   */
  RestoreCheckFailed: 'RESTORE_CHECK_FAILED',
  /**
   * An infrastructure provider was asked for an operation it does not declare in its capabilities: asking
   * again will not change the answer. Not retried.
   */
  Unsupported: 'UNSUPPORTED',
  /**
   * `infra.destroy` was asked to destroy a target whose evidence from this incident is absent or does not
   * re-hash intact: capture it (or waive the check with a reason) first. Not retried.
   */
  EvidenceUnverified: 'EVIDENCE_UNVERIFIED',
  /** `infra.health` found a target unhealthy. Retried per the step's retry policy: a service may still be starting. */
  Unhealthy: 'UNHEALTHY',
  /** `infra.indicators` found an indicator of compromise that must be absent. Not retried. */
  IndicatorPresent: 'INDICATOR_PRESENT',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes that must not be retried by Temporal. */
export const NON_RETRYABLE_CODES: readonly ErrorCode[] = [
  ErrorCode.InvalidInput,
  ErrorCode.NotAllowed,
  ErrorCode.HttpRejected,
  ErrorCode.ExpressionError,
  ErrorCode.SecretUnavailable,
  ErrorCode.Forbidden,
  ErrorCode.Conflict,
  ErrorCode.NotFound,
  ErrorCode.DeliveryRejected,
  ErrorCode.BackupCorrupt,
  ErrorCode.DrillFailed,
  ErrorCode.DrillStale,
  ErrorCode.RestoreCheckFailed,
  ErrorCode.Unsupported,
  ErrorCode.EvidenceUnverified,
  ErrorCode.IndicatorPresent,
];

/** An error with a code, thrown by adapters and activities and mapped to `ApplicationFailure` at the edge. */
export class FirebreakError extends Error {
  override readonly name = 'FirebreakError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
