/**
 * `infra`: the infrastructure providers burn-down runbooks act through, by name. Each names its `kind`
 * (only `docker` so far) and how to reach it: a Docker Engine over its unix socket, or over TCP with TLS
 * whose CA, client certificate and key are secret references, read by the worker when it uses them.
 */
import { z } from 'zod';
import { DurationMs, SecretReference } from './primitives.js';

/** A provider's name under `infra.providers`, as runbooks will name it. */
export const INFRA_PROVIDER_NAME = /^[a-z][a-z0-9-]{0,62}$/;

const UNIX_HOST = /^unix:\/\/\/\S+$/;
const TCP_HOST = /^tcp:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^tcp:\/\/\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$/;
/** A host a health probe may reach: a DNS name, an IPv4 address or a bracketed IPv6 address. */
const HEALTH_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;
const HOST_MESSAGE = 'expected unix:///path/to/docker.sock or tcp://host:port';

/** `infra.providers.<name>.tls`: mutual TLS to a Docker daemon on TCP, every part a secret reference. */
export const DockerTlsConfigSchema = z.strictObject({
  ca: SecretReference.meta({ description: 'the CA that signed the daemon certificate (PEM), as env:NAME or file:PATH' }),
  cert: SecretReference.meta({ description: 'the client certificate (PEM)' }),
  key: SecretReference.meta({ description: 'the client key (PEM)' }),
});

/** `infra.providers.<name>` with `kind: docker`. */
export const DockerProviderConfigSchema = z
  .strictObject({
    kind: z.literal('docker', { error: 'expected docker (the only provider kind built so far)' }),
    host: z
      .string({ error: HOST_MESSAGE })
      .refine((host) => UNIX_HOST.test(host) || TCP_HOST.test(host), { error: HOST_MESSAGE })
      .default('unix:///var/run/docker.sock'),
    tls: DockerTlsConfigSchema.optional(),
    timeout: DurationMs.prefault('30s'),
    health: z
      .strictObject({
        allowHosts: z
          .array(
            z
              .string()
              .regex(HEALTH_HOST, { error: 'expected a host name or IP address (no scheme, port or path)' })
              .transform((host) => host.toLowerCase()),
          )
          .max(100)
          .default([])
          .meta({ description: 'hosts an HTTP health probe may reach besides loopback (127.0.0.1, localhost, [::1])' }),
      })
      .optional(),
  })
  .superRefine((provider, ctx) => {
    const tcp = provider.host.startsWith('tcp://');
    if (tcp && provider.tls === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'tcp:// needs tls (ca, cert, key): a Docker daemon on TCP without TLS is root on the host for anyone who reaches it',
      });
    }
    if (!tcp && provider.tls !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls applies to tcp:// hosts only' });
    }
  })
  .transform(({ timeout, ...rest }) => ({ ...rest, timeoutMs: timeout }));
export type DockerProviderConfig = z.infer<typeof DockerProviderConfigSchema>;

/** One provider; a union as kinds are added. */
export const InfraProviderConfigSchema = DockerProviderConfigSchema;
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
