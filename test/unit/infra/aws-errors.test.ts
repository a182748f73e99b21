/**
 * How the aws provider maps AWS API failures to error codes (their retry semantics at the activity edge):
 * the cases moto cannot produce (it allows every call and never throttles), from failures shaped as the
 * SDK gives them.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { awsFailure } from '../../../src/infra/aws/client.js';

const sdkError = (name: string, status: number | undefined, message = 'refused') =>
  Object.assign(new Error(message), { name, $metadata: status === undefined ? {} : { httpStatusCode: status } });

describe('awsFailure', () => {
  it.each([
    ['InvalidInstanceID.NotFound', 400, ErrorCode.NotFound],
    ['InvalidGroup.NotFound', 400, ErrorCode.NotFound],
    ['NoSuchEntity', 404, ErrorCode.NotFound],
    ['UnauthorizedOperation', 403, ErrorCode.NotAllowed],
    ['AccessDenied', 403, ErrorCode.NotAllowed],
    ['AuthFailure', 401, ErrorCode.NotAllowed],
    ['RequestLimitExceeded', 503, ErrorCode.Transient],
    ['Throttling', 400, ErrorCode.Transient],
    ['InternalError', 500, ErrorCode.Transient],
    ['InvalidParameterValue', 400, ErrorCode.InvalidInput],
    ['OperationNotPermitted', 400, ErrorCode.InvalidInput],
  ])('maps %s (HTTP %s) to %s, naming what was asked', (name, status, code) => {
    const failure = awsFailure(sdkError(name, status), 'aws: terminate i-0123');
    expect(failure.code).toBe(code);
    expect(failure.message).toContain('aws: terminate i-0123');
    expect(failure.message).toContain(name);
  });

  it('maps a failure with no HTTP answer (connection refused, timeout) to TRANSIENT', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED',
      $metadata: { attempts: 2 },
    });
    expect(awsFailure(refused, 'aws: describe instances')).toMatchObject({ code: ErrorCode.Transient });
    expect(awsFailure(refused, 'aws: describe instances').message).toMatch(/unreachable.*ECONNREFUSED/);
  });

  it('passes a FirebreakError through unchanged', () => {
    const own = new FirebreakError(ErrorCode.SecretUnavailable, 'env:NOPE is not set');
    expect(awsFailure(own, 'aws: anything')).toBe(own);
  });
});
