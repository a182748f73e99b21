/**
 * `infra`: the infrastructure providers burn-down runbooks act through, by name. Each names its `kind` and
 * how to reach it: `docker`, a Docker Engine over its unix socket, or over TCP with TLS whose CA, client
 * certificate and key are secret references, read by the worker when it uses them; `command`, reviewed
 * scripts in `actions.command.scriptsDir`, one per operation, with an environment whose values may be
 * secret references.
 */
import { z } from 'zod';
import type { UnionChoice } from '../diagnostics/zod-issues.js';
import { describeValue, type DocPath } from '../diagnostics/located-issue.js';
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
    kind: z.literal('docker'),
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

const SCRIPT_MESSAGE = 'expected a file name in actions.command.scriptsDir (no / or ..)';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// The rule command.run applies: variables the worker sets, or that make the loader or a shell run other code.
const RESERVED_ENV = /^(?:PATH|HOME|LANG|LD_.*|DYLD_.*|BASH_ENV|ENV|BASH_FUNC_.*|SHELLOPTS|BASHOPTS|PS4|IFS)$/;

/** A script of a command provider: a plain file name, resolved inside the scripts directory when it runs. */
const ScriptName = z
  .string({ error: SCRIPT_MESSAGE })
  .refine((name) => name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name), { error: SCRIPT_MESSAGE });

/** `infra.providers.<name>.operations`: the script of each operation the provider supports. */
export const CommandOperationsSchema = z.strictObject({
  inventory: ScriptName.meta({ description: 'resolves a selector into targets (required)' }),
  protect: ScriptName.optional(),
  isolate: ScriptName.optional(),
  unisolate: ScriptName.optional(),
  capture: ScriptName.optional(),
  destroy: ScriptName.optional(),
  redeploy: ScriptName.optional(),
  health: ScriptName.optional(),
  indicators: ScriptName.optional(),
});

/** A variable given to the scripts: text as written, or `{ secret: env:NAME | file:PATH }` read when a script runs. */
export const CommandEnvValueSchema = z.union([z.string(), z.strictObject({ secret: SecretReference })], {
  error: 'expected text, or { secret: env:NAME | file:PATH }',
});

/** `infra.providers.<name>` with `kind: command`. */
export const CommandProviderConfigSchema = z
  .strictObject({
    kind: z.literal('command'),
    operations: CommandOperationsSchema,
    timeout: DurationMs.prefault('5m'),
    env: z
      .record(
        z
          .string()
          .regex(ENV_NAME, { error: 'expected an environment variable name' })
          .refine((name) => !RESERVED_ENV.test(name), {
            error: 'is reserved: the worker sets it, or it would make the shell or loader run other code',
          }),
        CommandEnvValueSchema,
      )
      .default({}),
  })
  .superRefine((provider, ctx) => {
    const { isolate, unisolate } = provider.operations;
    if ((isolate === undefined) !== (unisolate === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['operations', isolate === undefined ? 'isolate' : 'unisolate'],
        message: 'isolate and unisolate go together: an isolation that cannot be undone has no compensation',
      });
    }
  })
  .transform(({ timeout, ...rest }) => ({ ...rest, timeoutMs: timeout }));
export type CommandProviderConfig = z.infer<typeof CommandProviderConfigSchema>;

/** One provider, by its `kind`. */
export const InfraProviderConfigSchema = z.discriminatedUnion('kind', [DockerProviderConfigSchema, CommandProviderConfigSchema]);
const INFRA_KINDS = InfraProviderConfigSchema.options.map((option) => option.in.shape.kind.value);

/**
 * Reports an `infra.providers.<name>` whose `kind` is missing or unknown (zod gives no branch for it), for
 * `mapZodIssues`. Returns undefined for any other union.
 */
export function infraUnionChoice(path: DocPath, raw: unknown): UnionChoice | undefined {
  const at = path.length === 4 && path[0] === 'infra' && path[1] === 'providers' && path[3] === 'kind';
  if (!at) return undefined;
  const expected = INFRA_KINDS.join(' or ');
  if (raw === undefined) return { message: `\`kind\` is required: ${expected}`, path: path.slice(0, -1) };
  return { message: `expected ${expected}, got ${describeValue(raw)}`, path };
}
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
