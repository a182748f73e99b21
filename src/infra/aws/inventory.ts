/**
 * AWS inventory: EC2 instances matched by instance id, Name tag, tags or AMI id (terminated instances are
 * not targets), each pinned with its AMI, network interfaces (subnet, security groups, addresses), EBS
 * volumes, instance role (by name) and tags. Tag values are compared exactly here, never passed to EC2 as
 * filter values, where `*` and `?` are wildcards.
 */
import { DescribeInstancesCommand, paginateDescribeInstances, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand } from '@aws-sdk/client-iam';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { ParsedSelector } from '../selector.js';
import type { InfraTarget, JsonValue, TargetCredential, TargetMount, TargetNetwork } from '../types.js';
import { aws, awsFailure, type AwsClients } from './client.js';

/** An instance id: `i-` and 8 or 17 hex digits. */
export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/** An AMI id: `ami-` and 8 or 17 hex digits. */
export const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/** The states an instance can be acted on in; `terminated` ones are gone. */
export const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];
const MAX_LABELS = 64;
const MAX_LABEL_VALUE = 256;

function refuse(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, `selector: ${message}`);
}

/** The EC2 filters for a selector, and the exact check on tags EC2 cannot do without wildcards. */
function filtersFor(
  selector: ParsedSelector,
  vpc: string | undefined,
): { filters: Filter[]; keep: (i: Instance) => boolean } {
  const filters: Filter[] = [{ Name: 'instance-state-name', Values: LIVE_STATES }];
  if (vpc !== undefined) filters.push({ Name: 'vpc-id', Values: [vpc] });
  switch (selector.by) {
    case 'id':
      if (!INSTANCE_ID.test(selector.value))
        throw refuse(`\`id\` ${JSON.stringify(selector.value)} is not an EC2 instance id (i-0123456789abcdef0)`);
      filters.push({ Name: 'instance-id', Values: [selector.value] });
      return { filters, keep: () => true };
    case 'image':
      if (!AMI_ID.test(selector.value))
        throw refuse(`\`image\` ${JSON.stringify(selector.value)} is not an AMI id (ami-0123456789abcdef0)`);
      filters.push({ Name: 'image-id', Values: [selector.value] });
      return { filters, keep: () => true };
    case 'name': {
      const name = selector.value;
      filters.push({ Name: 'tag-key', Values: ['Name'] });
      return { filters, keep: (i) => tagsOf(i).get('Name') === name };
    }
    case 'labels': {
      const wanted = selector.value;
      for (const key of wanted.keys()) {
        if (/[*?\\]/.test(key)) throw refuse(`tag key \`${key}\` holds a wildcard character (* ? \\)`);
        filters.push({ Name: 'tag-key', Values: [key] });
      }
      return {
        filters,
        keep: (i) => {
          const tags = tagsOf(i);
          return [...wanted].every(([key, value]) => tags.get(key) === value);
        },
      };
    }
  }
}

/** The live instances a selector matches (every page). */
export async function matchInstances(
  clients: AwsClients,
  selector: ParsedSelector,
  vpc: string | undefined,
): Promise<Instance[]> {
  const { filters, keep } = filtersFor(selector, vpc);
  const found: Instance[] = [];
  try {
    for await (const page of paginateDescribeInstances(
      { client: clients.ec2 },
      { Filters: filters, MaxResults: 1000 },
    )) {
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) if (keep(instance)) found.push(instance);
      }
    }
  } catch (error) {
    throw awsFailure(error, 'aws: describe instances');
  }
  return found;
}

/** The instance as EC2 describes it now; NOT_FOUND when it is unknown or terminated. */
export async function describeInstance(clients: AwsClients, id: string): Promise<Instance> {
  const answer = await aws(`aws: describe instance ${id}`, () =>
    clients.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [id] }] })),
  );
  const instance = answer.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
  if (instance === undefined || !LIVE_STATES.includes(instance.State?.Name ?? '')) {
    throw new FirebreakError(ErrorCode.NotFound, `aws: instance ${id} is ${instance ? 'terminated' : 'not found'}`);
  }
  return instance;
}

/** An instance's tags by key. */
export function tagsOf(instance: Instance): Map<string, string> {
  return new Map((instance.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/** The instance profile's name from its ARN (`arn:aws:iam::123:instance-profile/path/name`). */
export function profileName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** The role of the instance's profile, by name, or undefined when it has no profile. */
export async function instanceRole(
  clients: AwsClients,
  instance: Instance,
): Promise<{ profile: string; role?: string } | undefined> {
  const arn = instance.IamInstanceProfile?.Arn;
  if (arn === undefined) return undefined;
  const profile = profileName(arn);
  try {
    const answer = await clients.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profile }));
    const role = answer.InstanceProfile?.Roles?.[0]?.RoleName;
    return role === undefined ? { profile } : { profile, role };
  } catch (error) {
    const failure = awsFailure(error, `aws: get instance profile ${profile}`);
    // A profile deleted since: the instance keeps a dangling reference and no role.
    if (failure.code === ErrorCode.NotFound) return { profile };
    throw failure;
  }
}

function networksOf(instance: Instance): TargetNetwork[] {
  return [...(instance.NetworkInterfaces ?? [])]
    .sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0))
    .map((eni) => ({
      name: eni.SubnetId ?? '',
      ...(eni.NetworkInterfaceId ? { id: eni.NetworkInterfaceId } : {}),
      aliases: eni.PrivateDnsName ? [eni.PrivateDnsName] : [],
      ...(eni.PrivateIpAddress ? { ipv4: eni.PrivateIpAddress } : {}),
      ...(eni.Ipv6Addresses?.[0]?.Ipv6Address ? { ipv6: eni.Ipv6Addresses[0].Ipv6Address } : {}),
      ...(eni.MacAddress ? { mac: eni.MacAddress } : {}),
      securityGroups: (eni.Groups ?? []).map((group) => group.GroupId ?? '').filter((id) => id !== ''),
    }));
}

function mountsOf(instance: Instance): TargetMount[] {
  return (instance.BlockDeviceMappings ?? [])
    .filter((mapping) => mapping.Ebs?.VolumeId !== undefined)
    .map((mapping) => ({
      type: 'ebs',
      name: mapping.Ebs!.VolumeId!,
      destination: mapping.DeviceName ?? '',
      readOnly: false,
    }))
    .sort((a, b) => a.destination.localeCompare(b.destination));
}

/** Pins one instance: small and JSON-safe. */
export async function describeTarget(clients: AwsClients, provider: string, instance: Instance): Promise<InfraTarget> {
  const id = instance.InstanceId ?? '';
  const tags = [...tagsOf(instance)].sort(([a], [b]) => a.localeCompare(b));
  const role = await instanceRole(clients, instance);
  const credentials: TargetCredential[] = [];
  if (role !== undefined) {
    credentials.push({
      kind: 'instance-role',
      name: role.role ?? role.profile,
      note: role.role
        ? `instance profile ${role.profile}: temporary credentials of role ${role.role} are served to the instance by its metadata service`
        : `instance profile ${role.profile} has no role (or was deleted)`,
    });
  }
  const details: { [key: string]: JsonValue } = {};
  if (instance.InstanceType) details.instanceType = instance.InstanceType;
  if (instance.VpcId) details.vpcId = instance.VpcId;
  if (instance.Placement?.AvailabilityZone) details.availabilityZone = instance.Placement.AvailabilityZone;
  if (instance.IamInstanceProfile?.Arn) details.instanceProfileArn = instance.IamInstanceProfile.Arn;
  const target: InfraTarget = {
    provider,
    kind: 'aws',
    id,
    name: tagsOf(instance).get('Name') || id,
    // An AMI id names one immutable image: it is pinned as it is.
    image: { ref: instance.ImageId ?? '', id: instance.ImageId ?? '', pinned: instance.ImageId ?? '' },
    networks: networksOf(instance),
    mounts: mountsOf(instance),
    labels: {},
    credentials,
    state: instance.State?.Name ?? 'unknown',
    ...(instance.LaunchTime ? { createdAt: instance.LaunchTime.toISOString() } : {}),
    details,
  };
  for (const [key, value] of tags.slice(0, MAX_LABELS)) target.labels[key] = value.slice(0, MAX_LABEL_VALUE);
  if (tags.length > MAX_LABELS || tags.some(([, value]) => value.length > MAX_LABEL_VALUE)) target.labelsCut = true;
  return target;
}
