/**
 * AWS protect, in the order of AWS's guide for a compromised EC2 instance: tag it, turn on termination and
 * stop protection, detach it from its Auto Scaling groups (desired capacity kept, so the group launches a
 * replacement) and deregister it from ELBv2 target groups, recording each change with the value before.
 * Idempotent; a failure carries the changes made so far, which a retry passes back as `resume`.
 */
import { DescribeAutoScalingInstancesCommand, DetachInstancesCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateTagsCommand,
  DescribeInstanceAttributeCommand,
  ModifyInstanceAttributeCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { deepFreeze } from '../selector.js';
import type { InfraChange, InfraTarget, ProtectOptions, ProtectResult } from '../types.js';
import { aws, awsFailure, type AwsClients, type AwsContext } from './client.js';
import { describeInstance } from './inventory.js';

/** The tag `protect` puts on the instance: the incident, or the time it protected it. */
export const INCIDENT_TAG = 'firebreak:incident';

type BooleanAttribute = 'disableApiTermination' | 'disableApiStop';

async function booleanAttribute(clients: AwsClients, id: string, attribute: BooleanAttribute): Promise<boolean> {
  const answer = await aws(`aws: read ${attribute} of ${id}`, () =>
    clients.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: attribute })),
  );
  const value =
    attribute === 'disableApiTermination' ? answer.DisableApiTermination?.Value : answer.DisableApiStop?.Value;
  return value === true;
}

/** Sets termination or stop protection, recording the value before; nothing when it already is. */
export async function setProtection(
  clients: AwsClients,
  id: string,
  attribute: BooleanAttribute,
  on: boolean,
): Promise<InfraChange | undefined> {
  const before = await booleanAttribute(clients, id, attribute);
  if (before === on) return undefined;
  const value = { Value: on };
  await aws(`aws: set ${attribute} of ${id} to ${on}`, () =>
    clients.ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: id,
        ...(attribute === 'disableApiTermination' ? { DisableApiTermination: value } : { DisableApiStop: value }),
      }),
    ),
  );
  return {
    what: attribute === 'disableApiTermination' ? 'termination-protection' : 'stop-protection',
    before,
    after: on,
  };
}

/** Tags, protects from termination and stopping, detaches from Auto Scaling and deregisters from target groups. */
export async function protect(
  context: AwsContext,
  target: InfraTarget,
  options: ProtectOptions = {},
): Promise<ProtectResult> {
  const { clients } = context;
  const { incident } = options;
  if (incident !== undefined && (typeof incident !== 'string' || !/^[^\p{Cc}]{1,256}$/u.test(incident))) {
    throw new FirebreakError(ErrorCode.InvalidInput, 'protect: `incident` must be one line of at most 256 characters');
  }
  const { resume } = options;
  if (resume !== undefined && resume.targetId !== target.id) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `protect: the result to resume is for ${resume.targetId}, not ${target.id}`,
    );
  }
  const instance = await describeInstance(clients, target.id);
  // The changes an interrupted attempt made are kept: a retry would see them done and not record them again.
  const changes: InfraChange[] = structuredClone(resume?.changes ?? []);
  const warnings: string[] = [];
  try {
    await protectSteps(context, instance, incident, changes);
  } catch (error) {
    const failure = awsFailure(error, `aws: protect ${target.id}`);
    throw new FirebreakError(failure.code, failure.message, { result: { targetId: target.id, changes, warnings } });
  }
  if (instance.InstanceLifecycle === 'spot') {
    warnings.push(
      'a spot instance: EC2 may interrupt (stop or terminate) it whatever its protection; capture evidence first',
    );
  }
  warnings.push('classic load balancers (ELB) are not checked: deregister the instance from any by hand');
  return deepFreeze({ targetId: target.id, changes, warnings });
}

/** Each protection in turn, every change pushed as soon as it is made. */
async function protectSteps(
  context: AwsContext,
  instance: Instance,
  incident: string | undefined,
  changes: InfraChange[],
): Promise<void> {
  const { clients } = context;
  const id = instance.InstanceId ?? '';
  const tag = (instance.Tags ?? []).find((t) => t.Key === INCIDENT_TAG);
  if (tag === undefined) {
    // The incident when the caller names it; else when it was protected, so the tag still says something.
    const value = incident ?? `protected ${context.now().toISOString()}`;
    await aws(`aws: tag ${id}`, () =>
      clients.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: INCIDENT_TAG, Value: value }] })),
    );
    changes.push({ what: 'tag', resource: INCIDENT_TAG, before: null, after: value });
  }
  for (const attribute of ['disableApiTermination', 'disableApiStop'] as const) {
    const change = await setProtection(clients, id, attribute, true);
    if (change) changes.push(change);
  }
  await detachFromAutoScaling(clients, id, changes);
  await deregisterFromTargetGroups(clients, instance, changes);
}

/** Detaches the instance from its Auto Scaling group without lowering the desired capacity (a replacement is launched). */
async function detachFromAutoScaling(clients: AwsClients, id: string, changes: InfraChange[]): Promise<void> {
  const answer = await aws(`aws: describe the Auto Scaling group of ${id}`, () =>
    clients.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] })),
  );
  for (const membership of answer.AutoScalingInstances ?? []) {
    const group = membership.AutoScalingGroupName;
    if (group === undefined) continue;
    await aws(`aws: detach ${id} from Auto Scaling group ${group}`, () =>
      clients.autoScaling.send(
        new DetachInstancesCommand({
          AutoScalingGroupName: group,
          InstanceIds: [id],
          ShouldDecrementDesiredCapacity: false,
        }),
      ),
    );
    changes.push({
      what: 'auto-scaling-group',
      resource: group,
      before: {
        group,
        lifecycleState: membership.LifecycleState ?? null,
        protectedFromScaleIn: membership.ProtectedFromScaleIn ?? false,
      },
      after: null,
    });
  }
}

/** Deregisters the instance from every ELBv2 target group of its VPC that has it, recording the port of each registration. */
async function deregisterFromTargetGroups(
  clients: AwsClients,
  instance: Instance,
  changes: InfraChange[],
): Promise<void> {
  const id = instance.InstanceId ?? '';
  try {
    for await (const page of paginateDescribeTargetGroups({ client: clients.elb }, {})) {
      for (const group of page.TargetGroups ?? []) {
        if (group.TargetType !== 'instance' || (group.VpcId !== undefined && group.VpcId !== instance.VpcId)) continue;
        const arn = group.TargetGroupArn!;
        const health = await clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
        const registered = (health.TargetHealthDescriptions ?? []).filter(
          (d) => d.Target?.Id === id && d.TargetHealth?.State !== 'draining' && d.TargetHealth?.State !== 'unused',
        );
        for (const description of registered) {
          const port = description.Target?.Port;
          await clients.elb.send(
            new DeregisterTargetsCommand({
              TargetGroupArn: arn,
              Targets: [{ Id: id, ...(port ? { Port: port } : {}) }],
            }),
          );
          changes.push({
            what: 'target-group',
            resource: arn,
            before: {
              targetGroup: group.TargetGroupName ?? arn,
              id,
              port: port ?? null,
              state: description.TargetHealth?.State ?? null,
            },
            after: null,
          });
        }
      }
    }
  } catch (error) {
    throw awsFailure(error, `aws: deregister ${id} from its target groups`);
  }
}
