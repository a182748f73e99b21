/**
 * `infra`: the infrastructure providers burn-down runbooks act through, by name. Each names its `kind` and
 * how to reach it: a Docker Engine over its unix socket, or over TCP with TLS whose CA, client certificate
 * and key are secret references; or an AWS region (EC2), with credentials as secret references. Secrets
 * are read by the worker when it uses them.
 */
import { z } from 'zod';
import { INFRA_PROVIDER_KINDS } from '../infra/types.js';
import { DurationMs, SecretReference } from './primitives.js';

/** A provider's name under `infra.providers`, as runbooks will name it. */
export const INFRA_PROVIDER_NAME = /^[a-z][a-z0-9-]{0,62}$/;

const UNIX_HOST = /^unix:\/\/\/\S+$/;
const TCP_HOST = /^tcp:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^tcp:\/\/\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$/;
const HOST_MESSAGE = 'expected unix:///path/to/docker.sock or tcp://host:port';

/** `infra.providers.<name>.tls`: mutual TLS to a Docker daemon on TCP, every part a secret reference. */
export const DockerTlsConfigSchema = z.strictObject({
  ca: SecretReference.meta({
    description: 'the CA that signed the daemon certificate (PEM), as env:NAME or file:PATH',
  }),
  cert: SecretReference.meta({ description: 'the client certificate (PEM)' }),
  key: SecretReference.meta({ description: 'the client key (PEM)' }),
});

/** `infra.providers.<name>` with `kind: docker`. */
export const DockerProviderConfigSchema = z
  .strictObject({
    kind: z.literal('docker'),
    host: z
      .string({ error: HOST_MESSAGE })
      .refine((host) => UNIX_HOST.test(host) || TCP_HOST.test(host), { error: HOST_MESSAGE })
      .default('unix:///var/run/docker.sock'),
    tls: DockerTlsConfigSchema.optional(),
    timeout: DurationMs.prefault('30s'),
  })
  .superRefine((provider, ctx) => {
    const tcp = provider.host.startsWith('tcp://');
    if (tcp && provider.tls === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message:
          'tcp:// needs tls (ca, cert, key): a Docker daemon on TCP without TLS is root on the host for anyone who reaches it',
      });
    }
    if (!tcp && provider.tls !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls applies to tcp:// hosts only' });
    }
  })
  .transform(({ timeout, ...rest }) => ({ ...rest, timeoutMs: timeout }));
export type DockerProviderConfig = z.infer<typeof DockerProviderConfigSchema>;

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;
const ENDPOINT_MESSAGE = 'expected an https:// URL (http:// only on loopback, for an emulator such as moto)';
// AWS's rule for security group names (a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*), not starting sg-.
const GROUP_NAME = /^(?!sg-)[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,255}$/;

/** Whether an endpoint is https, or http to a loopback address (an emulator on this machine). */
function acceptableEndpoint(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname);
}

/** `infra.providers.<name>.credentials`: an access key (and session token), each a secret reference. */
export const AwsCredentialsConfigSchema = z.strictObject({
  accessKeyId: SecretReference.meta({ description: 'the access key id, as env:NAME or file:PATH' }),
  secretAccessKey: SecretReference.meta({ description: 'the secret access key' }),
  sessionToken: SecretReference.meta({ description: 'the session token of temporary credentials' }).optional(),
});

/** `infra.providers.<name>` with `kind: aws`: EC2 in one region. */
export const AwsProviderConfigSchema = z
  .strictObject({
    kind: z.literal('aws'),
    region: z.string({ error: 'expected an AWS region such as eu-west-1' }).regex(REGION, {
      error: 'expected an AWS region such as eu-west-1',
    }),
    endpoint: z
      .string({ error: ENDPOINT_MESSAGE })
      .refine(acceptableEndpoint, { error: ENDPOINT_MESSAGE })
      .optional()
      .meta({
        description: 'the EC2, Auto Scaling, ELBv2 and IAM endpoint instead of AWS (an emulator, a VPC endpoint proxy)',
      }),
    credentials: AwsCredentialsConfigSchema.optional(),
    quarantineGroupName: z
      .string({ error: 'expected a security group name' })
      .regex(GROUP_NAME, {
        error:
          'expected a security group name (up to 255 of a-z A-Z 0-9 space ._-:/()#,@[]+=&;{}!$*, not starting sg-)',
      })
      .default('firebreak-quarantine'),
    vpc: z
      .string({ error: 'expected a VPC id such as vpc-0123456789abcdef0' })
      .regex(/^vpc-[0-9a-f]{8,17}$/, { error: 'expected a VPC id such as vpc-0123456789abcdef0' })
      .optional(),
    timeout: DurationMs.prefault('30s'),
    snapshotWait: DurationMs.prefault('30m'),
  })
  .transform(({ timeout, snapshotWait, ...rest }) => ({ ...rest, timeoutMs: timeout, snapshotWaitMs: snapshotWait }));
export type AwsProviderConfig = z.infer<typeof AwsProviderConfigSchema>;

/**
 * One provider, by its kind. The kind is checked first, on its own, so an unknown one is reported at
 * `kind` naming the kinds there are (a discriminated union that matches no branch carries no issue to place).
 */
export const InfraProviderConfigSchema = z
  .looseObject({ kind: z.enum(INFRA_PROVIDER_KINDS, { error: 'expected kind docker or aws' }) })
  .pipe(z.discriminatedUnion('kind', [DockerProviderConfigSchema, AwsProviderConfigSchema]));
export type InfraProviderConfig = z.infer<typeof InfraProviderConfigSchema>;

/** `infra`: the providers by name. */
export const InfraConfigSchema = z.strictObject({
  providers: z
    .record(
      z.string().regex(INFRA_PROVIDER_NAME, { error: 'expected a provider name: lowercase letters, digits and -' }),
      InfraProviderConfigSchema,
    )
    .default({}),
});
export type InfraConfig = z.infer<typeof InfraConfigSchema>;
