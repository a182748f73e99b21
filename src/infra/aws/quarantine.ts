/**
 * The quarantine security group of a VPC: one group, named by the provider's `quarantineGroupName`, with
 * no inbound and no outbound rule. Created when absent (EC2 gives a new group an allow-all egress rule,
 * which is removed at once); a group of that name that has gained rules has them removed, since a
 * quarantine that lets traffic through is not one.
 */
import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { aws, awsFailure, type AwsClients } from './client.js';

/** The tag a quarantine group Firebreak created carries. */
export const QUARANTINE_TAG = 'firebreak:quarantine';

async function find(clients: AwsClients, vpc: string, name: string): Promise<SecurityGroup | undefined> {
  const answer = await aws(`aws: find security group ${name} in ${vpc}`, () =>
    clients.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpc] },
          { Name: 'group-name', Values: [name] },
        ],
      }),
    ),
  );
  // group-name filter values are wildcards: only the exact name counts.
  return answer.SecurityGroups?.find((group) => group.GroupName === name && group.VpcId === vpc);
}

/** Removes every rule of the group, both ways. */
async function emptied(clients: AwsClients, group: SecurityGroup): Promise<string> {
  const id = group.GroupId!;
  if ((group.IpPermissions ?? []).length > 0) {
    await aws(`aws: remove the inbound rules of quarantine group ${id}`, () =>
      clients.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: group.IpPermissions })),
    );
  }
  if ((group.IpPermissionsEgress ?? []).length > 0) {
    await aws(`aws: remove the outbound rules of quarantine group ${id}`, () =>
      clients.ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: group.IpPermissionsEgress })),
    );
  }
  return id;
}

/** The id of the VPC's quarantine group with no rule left, created when absent. */
export async function quarantineGroup(clients: AwsClients, vpc: string, name: string): Promise<string> {
  let group = await find(clients, vpc, name);
  if (group === undefined) {
    try {
      await clients.ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: name,
          VpcId: vpc,
          Description: 'Firebreak quarantine: no inbound, no outbound. Instances under incident response.',
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: QUARANTINE_TAG, Value: 'true' }] }],
        }),
      );
    } catch (error) {
      const failure = awsFailure(error, `aws: create quarantine group ${name} in ${vpc}`);
      // Created meanwhile by another isolation in the same VPC: use that one.
      if (!/Duplicate/.test(failure.message)) throw failure;
    }
    group = await find(clients, vpc, name);
    if (group === undefined)
      throw new FirebreakError(ErrorCode.Transient, `aws: quarantine group ${name} in ${vpc} not visible yet`);
  }
  return emptied(clients, group);
}
