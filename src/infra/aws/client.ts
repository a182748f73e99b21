/**
 * The connection to one AWS region: EC2, Auto Scaling, ELBv2 and IAM clients built for one operation, with
 * the access key read from its secret references at each use (never kept, never logged), and the mapping
 * of the APIs' failures to error codes with their retry semantics.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { SecretResolver } from '../../secrets/resolver.js';

/** Where the region is and how to sign requests to it. */
export interface AwsConnection {
  region: string;
  /** One endpoint for every service instead of AWS's own (an emulator such as moto). */
  endpoint?: string;
  /** Secret references (`env:NAME`, `file:PATH`); absent: the SDK's default chain (the worker's own role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The longest one API request may take. */
  timeoutMs: number;
}

/** The clients one operation uses. */
export interface AwsClients {
  ec2: EC2Client;
  autoScaling: AutoScalingClient;
  elb: ElasticLoadBalancingV2Client;
  iam: IAMClient;
  /** Releases the clients' sockets. */
  close(): void;
}

/** Builds the clients for one operation; credentials are read from their references now, not at start-up. */
export async function openAws(connection: AwsConnection, secrets: SecretResolver): Promise<AwsClients> {
  const { region, endpoint, timeoutMs } = connection;
  let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  if (connection.credentials !== undefined) {
    const refs = connection.credentials;
    const [accessKeyId, secretAccessKey, sessionToken] = await Promise.all([
      secrets.resolve(refs.accessKeyId),
      secrets.resolve(refs.secretAccessKey),
      refs.sessionToken === undefined ? Promise.resolve(undefined) : secrets.resolve(refs.sessionToken),
    ]);
    credentials = { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
  }
  const config = {
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
    // Two attempts inside one operation; the activity's retry policy does the rest, with heartbeats.
    maxAttempts: 2,
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 10_000) },
  };
  const ec2 = new EC2Client(config);
  const autoScaling = new AutoScalingClient(config);
  const elb = new ElasticLoadBalancingV2Client(config);
  const iam = new IAMClient(config);
  return {
    ec2,
    autoScaling,
    elb,
    iam,
    close() {
      for (const client of [ec2, autoScaling, elb, iam]) client.destroy();
    },
  };
}

/** What an operation needs besides its target. */
export interface AwsContext {
  clients: AwsClients;
  /** The configured provider's name. */
  provider: string;
  /** The security group isolation puts ENIs in. */
  quarantineGroupName: string;
  now: () => Date;
}

/** An SDK failure as the clients give it. */
interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const NOT_FOUND = /NotFound|NoSuchEntity|\.Unknown$/;
const THROTTLED =
  /Throttl|RequestLimitExceeded|TooManyRequests|SlowDown|ServiceUnavailable|InternalError|RequestTimeout/;
const REFUSED =
  /UnauthorizedOperation|AccessDenied|AuthFailure|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken|OptInRequired/;

/**
 * Maps a failure to a FirebreakError: the API unreachable, throttling or 5xx is TRANSIENT; a missing
 * resource is NOT_FOUND; credentials or permissions refused are NOT_ALLOWED (fix the role, not a retry);
 * other refusals are INVALID_INPUT. FirebreakErrors pass.
 */
export function awsFailure(error: unknown, what: string): FirebreakError {
  if (error instanceof FirebreakError) return error;
  const failure = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as SdkError;
  const status = failure.$metadata?.httpStatusCode;
  const name = failure.Code ?? failure.name ?? '';
  // The SDK's own messages name the request, never the credentials.
  const message = (failure.message ?? 'unknown error').trim();
  if (status === undefined) {
    const reason = failure.code ?? (name || message);
    return new FirebreakError(ErrorCode.Transient, `${what}: the AWS API is unreachable (${reason}: ${message})`);
  }
  const text = `${what}: ${name ? `${name}: ` : ''}${message} (HTTP ${status})`;
  if (NOT_FOUND.test(name) || status === 404) return new FirebreakError(ErrorCode.NotFound, text);
  if (THROTTLED.test(name) || status >= 500 || status === 429) return new FirebreakError(ErrorCode.Transient, text);
  if (REFUSED.test(name) || status === 401 || status === 403) return new FirebreakError(ErrorCode.NotAllowed, text);
  return new FirebreakError(ErrorCode.InvalidInput, text);
}

/** Runs one API call, mapping its failure. */
export async function aws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw awsFailure(error, what);
  }
}
