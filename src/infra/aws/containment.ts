/**
 * AWS isolation, as AWS's guide for a compromised EC2 instance does it. `isolate`: every ENI's security
 * groups replaced by the quarantine group (no inbound, no outbound rule, created per VPC when absent), then
 * the instance role's sessions revoked. `unisolate`: each ENI's recorded groups put back; the revocation
 * is kept. Both are idempotent, so Temporal may retry them.
 */
import {
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  ModifyNetworkInterfaceAttributeCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { deepFreeze } from '../selector.js';
import type { InfraChange, InfraTarget, IsolateOptions, IsolationRecord, UnisolateResult } from '../types.js';
import { aws, awsFailure, type AwsClients, type AwsContext } from './client.js';
import { describeInstance } from './inventory.js';
import { quarantineGroup } from './quarantine.js';
import { revokeSessions } from './revoke.js';

/** The ENIs of an instance with their security groups, by device index. */
function interfacesOf(instance: Instance): Array<{ id: string; groups: string[] }> {
  return [...(instance.NetworkInterfaces ?? [])]
    .sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0))
    .map((eni) => ({ id: eni.NetworkInterfaceId ?? '', groups: (eni.Groups ?? []).map((g) => g.GroupId ?? '') }));
}

async function setGroups(clients: AwsClients, eni: string, groups: string[]): Promise<void> {
  await aws(`aws: set the security groups of ${eni} to ${groups.join(', ')}`, () =>
    clients.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: groups })),
  );
}

/**
 * Puts every ENI in the quarantine group alone (recording the groups before, per ENI), then revokes the
 * sessions of the instance role. Resumes a record an interrupted attempt left.
 */
export async function isolate(
  context: AwsContext,
  target: InfraTarget,
  options: IsolateOptions = {},
): Promise<IsolationRecord> {
  const { clients, provider } = context;
  const { resume, progress } = options;
  if (resume !== undefined && resume.targetId !== target.id) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `isolate: the record to resume is for ${resume.targetId}, not ${target.id}`,
    );
  }
  const instance = await describeInstance(clients, target.id);
  if (instance.VpcId === undefined) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `aws: instance ${target.id} is in no VPC: security groups cannot isolate it`,
    );
  }
  const changes: InfraChange[] = [...(resume?.changes ?? [])];
  const snapshot = (): IsolationRecord => ({
    targetId: target.id,
    provider,
    changes: structuredClone(changes),
    alreadyIsolated: changes.length === 0,
  });
  const fail = (error: unknown, what: string): never => {
    const failure = awsFailure(error, what);
    throw new FirebreakError(failure.code, failure.message, { record: snapshot() });
  };
  const quarantine = await quarantineGroup(clients, instance.VpcId, context.quarantineGroupName).catch(
    (error: unknown) => fail(error, 'aws: prepare the quarantine group'),
  );
  for (const eni of interfacesOf(instance)) {
    if (eni.groups.length === 1 && eni.groups[0] === quarantine) continue;
    await setGroups(clients, eni.id, [quarantine]).catch((error: unknown) => fail(error, `aws: quarantine ${eni.id}`));
    changes.push({ what: 'security-groups', resource: eni.id, before: eni.groups, after: [quarantine] });
    progress?.(snapshot());
  }
  const done = changes.some((change) => change.what === 'session-revocation');
  if (!done) {
    const revoked = await revokeSessions(clients, instance, context.now(), changes.length === 0).catch(
      (error: unknown) => fail(error, `aws: revoke the sessions of the role of ${target.id}`),
    );
    if (revoked !== undefined) {
      changes.push(revoked);
      progress?.(snapshot());
    }
  }
  return deepFreeze(snapshot());
}

/** The groups an ENI has now; NOT_FOUND when it is gone. */
async function groupsNow(clients: AwsClients, eni: string): Promise<string[]> {
  const answer = await aws(`aws: describe ${eni}`, () =>
    clients.ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: [eni] }] }),
    ),
  );
  const found = answer.NetworkInterfaces?.find((n) => n.NetworkInterfaceId === eni);
  if (found === undefined) throw new FirebreakError(ErrorCode.NotFound, `aws: network interface ${eni} is gone`);
  return (found.Groups ?? []).map((g) => g.GroupId ?? '');
}

/** NOT_FOUND naming the recorded groups deleted since (checked first: an ENI must not be left half restored). */
async function requireGroups(clients: AwsClients, eni: string, wanted: string[]): Promise<void> {
  const answer = await aws(`aws: describe the groups recorded for ${eni}`, () =>
    clients.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: wanted }] })),
  );
  const present = new Set((answer.SecurityGroups ?? []).map((g) => g.GroupId));
  const gone = wanted.filter((id) => !present.has(id));
  if (gone.length > 0) {
    throw new FirebreakError(
      ErrorCode.NotFound,
      `aws: cannot restore the groups of ${eni}: security group ${gone.join(', ')} was deleted since`,
    );
  }
}

function recordedGroups(change: InfraChange): string[] {
  const before = change.before;
  const groups = Array.isArray(before) ? before.filter((g): g is string => typeof g === 'string' && g !== '') : [];
  if (
    change.resource === undefined ||
    !Array.isArray(before) ||
    groups.length === 0 ||
    groups.length !== before.length
  ) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `unisolate: the security-groups change of ${change.resource ?? '?'} holds no groups`,
    );
  }
  return groups;
}

const sameGroups = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * Puts back each ENI's recorded groups; an ENI that has them already is skipped. The session revocation
 * is kept (`kept`): undoing it would give a thief's credentials back. Every change is tried; when some
 * fail, the error names each and carries what was restored.
 */
export async function unisolate(
  context: AwsContext,
  target: InfraTarget,
  record: IsolationRecord,
): Promise<UnisolateResult> {
  const { clients } = context;
  if (record.targetId !== target.id) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `unisolate: the record is for ${record.targetId}, not ${target.id}`,
    );
  }
  const known = ['security-groups', 'session-revocation'];
  const unknown = record.changes.find((change) => !known.includes(change.what));
  if (unknown !== undefined)
    throw new FirebreakError(ErrorCode.InvalidInput, `unisolate: an aws record holds no ${unknown.what} changes`);
  const groups = record.changes
    .filter((c) => c.what === 'security-groups')
    .map((change) => ({ change, groups: recordedGroups(change) }));
  await describeInstance(clients, target.id);
  const result: UnisolateResult = {
    targetId: target.id,
    restored: [],
    alreadyRestored: [],
    kept: record.changes.filter((c) => c.what === 'session-revocation'),
  };
  const failures: FirebreakError[] = [];
  for (const { change, groups: wanted } of groups) {
    const eni = change.resource!;
    try {
      if (sameGroups(await groupsNow(clients, eni), wanted)) {
        result.alreadyRestored.push(change);
        continue;
      }
      await requireGroups(clients, eni, wanted);
      await setGroups(clients, eni, wanted);
      result.restored.push(change);
    } catch (error) {
      failures.push(awsFailure(error, `aws: restore the groups of ${eni}`));
    }
  }
  if (failures.length > 0) {
    const code = failures.find((f) => f.code === ErrorCode.Transient)?.code ?? failures[0]!.code;
    throw new FirebreakError(code, failures.map((f) => f.message).join('; '), { result });
  }
  return deepFreeze(result);
}
