/**
 * Revoking the sessions of an instance's role, as AWS's "revoke active sessions" does: an inline policy on
 * the role that denies everything to credentials issued before now (`aws:TokenIssueTime`). Credentials an
 * attacker took from the instance stop working everywhere, and so do those other instances of the role
 * hold, until they take newer ones from their metadata service. Not undone by `unisolate`.
 */
import type { Instance } from '@aws-sdk/client-ec2';
import { GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { ErrorCode } from '../../domain/errors.js';
import type { InfraChange } from '../types.js';
import { aws, awsFailure, type AwsClients } from './client.js';
import { instanceRole } from './inventory.js';

/** The inline policy's name on the role. */
export const REVOKE_POLICY_NAME = 'firebreak-revoke-older-sessions';

/** The deny-all policy for credentials issued before `before`. */
export function revokePolicy(before: Date): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'FirebreakRevokeOlderSessions',
        Effect: 'Deny',
        Action: ['*'],
        Resource: ['*'],
        Condition: { DateLessThan: { 'aws:TokenIssueTime': before.toISOString() } },
      },
    ],
  };
}

/** The policy on the role now (its document as JSON text), or undefined. */
async function currentPolicy(clients: AwsClients, role: string): Promise<string | undefined> {
  try {
    const answer = await clients.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: REVOKE_POLICY_NAME }));
    // IAM gives policy documents URL-encoded.
    return answer.PolicyDocument === undefined ? undefined : decodeURIComponent(answer.PolicyDocument);
  } catch (error) {
    const failure = awsFailure(error, `aws: read policy ${REVOKE_POLICY_NAME} of role ${role}`);
    if (failure.code === ErrorCode.NotFound) return undefined;
    throw failure;
  }
}

/**
 * Puts the revocation on the instance's role and returns the change, or undefined when the instance has no
 * role (or, with `unlessPresent`, when the role already carries a revocation).
 */
export async function revokeSessions(
  clients: AwsClients,
  instance: Instance,
  now: Date,
  unlessPresent: boolean,
): Promise<InfraChange | undefined> {
  const found = await instanceRole(clients, instance);
  const role = found?.role;
  if (role === undefined) return undefined;
  const before = await currentPolicy(clients, role);
  if (unlessPresent && before !== undefined) return undefined;
  await aws(`aws: put policy ${REVOKE_POLICY_NAME} on role ${role}`, () =>
    clients.iam.send(
      new PutRolePolicyCommand({
        RoleName: role,
        PolicyName: REVOKE_POLICY_NAME,
        PolicyDocument: JSON.stringify(revokePolicy(now)),
      }),
    ),
  );
  return {
    what: 'session-revocation',
    resource: role,
    before: before === undefined ? null : before,
    after: { policy: REVOKE_POLICY_NAME, deniesCredentialsIssuedBefore: now.toISOString() },
  };
}
