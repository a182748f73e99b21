/**
 * AWS destroy, redeploy and health. `destroy` terminates the instance after turning off its termination
 * and stop protection (recorded) and, unless asked to remove volumes, setting DeleteOnTermination off on
 * every EBS volume first so volumes (and the snapshots taken) survive. `redeploy` launches a replacement from
 * a pinned AMI or launch template version in the subnet and security groups recorded at inventory, tagged
 * `firebreak:replaces`, once however often it is retried. `health` is EC2's state and status checks.
 */
import { createHash } from 'node:crypto';
import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
  type RunInstancesCommandInput,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { hasOwn } from '../../domain/own.js';
import { deepFreeze } from '../selector.js';
import type {
  DestroyRequest,
  DestroyResult,
  HealthRequest,
  HealthResult,
  InfraChange,
  InfraTarget,
  JsonValue,
  RedeployRequest,
  RedeployResult,
} from '../types.js';
import { aws, type AwsClients, type AwsContext } from './client.js';
import { setProtection } from './protect.js';
import { AMI_ID, describeInstance, describeTarget, LIVE_STATES } from './inventory.js';

/** The tag a replacement carries, naming the instance it replaces. */
export const REPLACES_TAG = 'firebreak:replaces';

/** The volumes of the target that still exist. */
async function existingVolumes(clients: AwsClients, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const answer = await aws('aws: describe volumes', () =>
    clients.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: ids }] })),
  );
  return (answer.Volumes ?? [])
    .map((v) => v.VolumeId ?? '')
    .filter((id) => ids.includes(id))
    .sort();
}

/** Terminates the instance, keeping its volumes unless asked; a terminated or unknown instance is already destroyed. */
export async function destroy(context: AwsContext, request: DestroyRequest): Promise<DestroyResult> {
  const { clients } = context;
  const { target } = request;
  const removeVolumes = request.removeVolumes === true;
  const volumes = target.mounts.filter((m) => m.type === 'ebs' && m.name).map((m) => m.name!);
  let instance: Instance;
  try {
    instance = await describeInstance(clients, target.id);
  } catch (error) {
    if (!(error instanceof FirebreakError && error.code === ErrorCode.NotFound)) throw error;
    const kept = removeVolumes ? [] : await existingVolumes(clients, volumes);
    // Terminated by an earlier attempt (a retried destroy): not an error, and not removed by this call.
    return deepFreeze({ targetId: target.id, removed: false, alreadyGone: true, keptVolumes: kept, changes: [] });
  }
  const changes: InfraChange[] = [];
  for (const attribute of ['disableApiTermination', 'disableApiStop'] as const) {
    const change = await setProtection(clients, target.id, attribute, false);
    if (change) changes.push(change);
  }
  for (const mapping of instance.BlockDeviceMappings ?? []) {
    const volume = mapping.Ebs?.VolumeId;
    if (volume === undefined || mapping.DeviceName === undefined) continue;
    const before = mapping.Ebs?.DeleteOnTermination === true;
    if (before === removeVolumes) continue;
    await aws(`aws: set DeleteOnTermination of ${volume} to ${removeVolumes}`, () =>
      clients.ec2.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: target.id,
          BlockDeviceMappings: [{ DeviceName: mapping.DeviceName, Ebs: { DeleteOnTermination: removeVolumes } }],
        }),
      ),
    );
    changes.push({ what: 'delete-on-termination', resource: volume, before, after: removeVolumes });
  }
  await aws(`aws: terminate ${target.id}`, () =>
    clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [target.id] })),
  );
  const attached = (instance.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [m.Ebs.VolumeId] : []));
  return deepFreeze({
    targetId: target.id,
    removed: true,
    keptVolumes: removeVolumes ? [] : [...new Set([...attached])].sort(),
    changes,
  });
}

const OVERRIDES = ['instanceType', 'subnet', 'securityGroups', 'name'] as const;
const LAUNCH_TEMPLATE = /^lt-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const TEMPLATE_NAME = /^[a-zA-Z0-9().\-/_]{3,128}$/;

interface Overrides {
  instanceType?: string;
  subnet?: string;
  securityGroups?: string[];
  name?: string;
}

function parseOverrides(overrides: Readonly<Record<string, JsonValue>> | undefined): Overrides {
  if (overrides === undefined) return {};
  const out: Overrides = {};
  for (const key of Object.keys(overrides)) {
    if (!(OVERRIDES as readonly string[]).includes(key)) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `redeploy: override \`${key}\` is not one aws takes (${OVERRIDES.join(', ')})`,
      );
    }
  }
  const text = (key: 'instanceType' | 'subnet' | 'name', pattern: RegExp) => {
    if (!hasOwn(overrides, key)) return;
    const value = overrides[key];
    if (typeof value !== 'string' || !pattern.test(value))
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `redeploy: override \`${key}\` ${JSON.stringify(value)} is not valid`,
      );
    out[key] = value;
  };
  text('instanceType', /^[a-z0-9-]+\.[a-z0-9-]+$/);
  text('subnet', /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/);
  text('name', /^[^\p{Cc}]{1,256}$/u);
  if (hasOwn(overrides, 'securityGroups')) {
    const groups = overrides.securityGroups;
    if (
      !Array.isArray(groups) ||
      groups.length === 0 ||
      !groups.every((g) => typeof g === 'string' && /^sg-[0-9a-f]{8,17}$/.test(g))
    ) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        'redeploy: override `securityGroups` must be a non-empty list of sg-... ids',
      );
    }
    out.securityGroups = groups as string[];
  }
  return out;
}

/** What RunInstances is told about the image: an AMI id, or a launch template at a numbered version. */
function imageInput(request: RedeployRequest): Pick<RunInstancesCommandInput, 'ImageId' | 'LaunchTemplate'> {
  const { kind, ref, version } = request.artefact;
  if (kind === 'ami') {
    if (!AMI_ID.test(ref))
      throw new FirebreakError(ErrorCode.InvalidInput, `redeploy: ${JSON.stringify(ref)} is not an AMI id (ami-...)`);
    if (version !== undefined)
      throw new FirebreakError(ErrorCode.InvalidInput, 'redeploy: an AMI has no version (an AMI id is already pinned)');
    return { ImageId: ref };
  }
  if (kind === 'launch-template') {
    if (!LAUNCH_TEMPLATE.test(ref) && !TEMPLATE_NAME.test(ref)) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `redeploy: ${JSON.stringify(ref)} is not a launch template id (lt-...) or name`,
      );
    }
    if (version === undefined || !/^[1-9][0-9]{0,8}$/.test(version)) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `redeploy: a launch template needs a version number (got ${JSON.stringify(version ?? null)}): $Latest and $Default are not pinned, they change when someone edits the template`,
      );
    }
    return {
      LaunchTemplate: {
        ...(LAUNCH_TEMPLATE.test(ref) ? { LaunchTemplateId: ref } : { LaunchTemplateName: ref }),
        Version: version,
      },
    };
  }
  throw new FirebreakError(
    ErrorCode.InvalidInput,
    `redeploy: aws redeploys from kind ami or launch-template, not ${JSON.stringify(kind)}`,
  );
}

/** Refuses groups that include the quarantine group: the target was inventoried after isolation. */
async function checkGroups(context: AwsContext, groups: string[]): Promise<void> {
  const answer = await aws('aws: describe the recorded security groups', () =>
    context.clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: groups })),
  );
  const quarantine = (answer.SecurityGroups ?? []).find((g) => g.GroupName === context.quarantineGroupName);
  if (quarantine !== undefined) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `redeploy: the recorded security groups include the quarantine group ${quarantine.GroupId}: the target was pinned after isolation; pass overrides.securityGroups`,
    );
  }
}

/** An existing replacement of the target (a retry), when there is one. */
async function existingReplacement(clients: AwsClients, target: InfraTarget): Promise<Instance | undefined> {
  const answer = await aws(`aws: find the replacement of ${target.id}`, () =>
    clients.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${REPLACES_TAG}`, Values: [target.id] },
          { Name: 'instance-state-name', Values: LIVE_STATES },
        ],
      }),
    ),
  );
  return answer.Reservations?.flatMap((r) => r.Instances ?? []).find((i) =>
    (i.Tags ?? []).some((t) => t.Key === REPLACES_TAG && t.Value === target.id),
  );
}

/** Launches the replacement (or finds the one an earlier attempt launched) and pins it. */
export async function redeploy(context: AwsContext, request: RedeployRequest): Promise<RedeployResult> {
  const { clients, provider } = context;
  const { target } = request;
  const image = imageInput(request);
  const overrides = parseOverrides(request.overrides);
  const primary = target.networks[0];
  const subnet = overrides.subnet ?? primary?.name;
  const groups = overrides.securityGroups ?? primary?.securityGroups ?? [];
  if (!subnet || groups.length === 0) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `redeploy: target ${target.id} has no recorded subnet and security groups; pass overrides.subnet and overrides.securityGroups`,
    );
  }
  const found = await existingReplacement(clients, target);
  if (found !== undefined)
    return deepFreeze({ replaced: target.id, target: await describeTarget(clients, provider, found) });
  if (overrides.securityGroups === undefined) await checkGroups(context, groups);
  const details = target.details ?? {};
  const instanceType =
    overrides.instanceType ??
    (image.ImageId && typeof details.instanceType === 'string' ? details.instanceType : undefined);
  const profile =
    image.ImageId && typeof details.instanceProfileArn === 'string' ? details.instanceProfileArn : undefined;
  const tags = Object.entries(target.labels)
    .filter(([key]) => !key.startsWith('aws:') && !key.startsWith('firebreak:'))
    .map(([Key, Value]) => ({ Key, Value: Key === 'Name' && overrides.name !== undefined ? overrides.name : Value }));
  if (overrides.name !== undefined && !tags.some((t) => t.Key === 'Name'))
    tags.push({ Key: 'Name', Value: overrides.name });
  tags.push({ Key: REPLACES_TAG, Value: target.id });
  // The same token on every attempt: EC2 launches once for it (idempotent RunInstances).
  const token = createHash('sha256')
    .update(
      `firebreak redeploy ${target.id} ${request.artefact.kind} ${request.artefact.ref} ${request.artefact.version ?? ''}`,
    )
    .digest('hex')
    .slice(0, 64);
  const launched = await aws(`aws: launch the replacement of ${target.id}`, () =>
    clients.ec2.send(
      new RunInstancesCommand({
        ...image,
        MinCount: 1,
        MaxCount: 1,
        ClientToken: token,
        ...(instanceType === undefined ? {} : { InstanceType: instanceType as _InstanceType }),
        ...(profile === undefined ? {} : { IamInstanceProfile: { Arn: profile } }),
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet, Groups: groups }],
        TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
      }),
    ),
  );
  const instance = launched.Instances?.[0];
  if (instance?.InstanceId === undefined)
    throw new FirebreakError(ErrorCode.Transient, `aws: RunInstances for ${target.id} returned no instance`);
  return deepFreeze({ replaced: target.id, target: await describeTarget(clients, provider, instance) });
}

/** Healthy when the instance is running and both of EC2's status checks are ok. */
export async function health(context: AwsContext, request: HealthRequest): Promise<HealthResult> {
  const { clients } = context;
  const { target } = request;
  if (request.probe !== undefined) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      'health: aws checks EC2 state and status checks only; probe the service with an http.request step (its destination allow-list applies)',
    );
  }
  const instance = await describeInstance(clients, target.id);
  const state = instance.State?.Name ?? 'unknown';
  if (state !== 'running') return deepFreeze({ targetId: target.id, healthy: false, detail: `instance is ${state}` });
  const answer = await aws(`aws: describe the status of ${target.id}`, () =>
    clients.ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [target.id], IncludeAllInstances: true })),
  );
  const status = answer.InstanceStatuses?.find((s) => s.InstanceId === target.id);
  const system = status?.SystemStatus?.Status ?? 'unknown';
  const own = status?.InstanceStatus?.Status ?? 'unknown';
  const healthy = system === 'ok' && own === 'ok';
  return deepFreeze({
    targetId: target.id,
    healthy,
    detail: `instance running; system status ${system}, instance status ${own}`,
  });
}
