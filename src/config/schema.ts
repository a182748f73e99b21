/**
 * The configuration file (`firebreak.yaml`), one zod schema per concern: the roster, runbook
 * directories, the Temporal connection and the built-in actions here; channels, storage and backups in
 * their own files. Durations come out in milliseconds.
 */
import type { DeclaredSecret } from '../secrets/declared.js';
import { SecretsConfigSchema } from './secrets-schema.js';
import { z } from 'zod';
import { checkAlertExpression, type AlertExpressionKind } from '../alerts/expressions.js';
import { RECEIVERS } from '../alerts/incoming.js';
import { SEVERITIES } from '../domain/plan.js';
import { BackupsConfigSchema, type BackupsConfig } from './backups-schema.js';
import { ChannelsConfigSchema, type ChannelsConfig } from './channels-schema.js';
import { EvidenceConfigSchema, evidenceOverlap, type EvidenceConfig } from './evidence-schema.js';
import { InfraConfigSchema, type InfraConfig } from './infra-schema.js';
import { PostmortemsConfigSchema, type PostmortemsConfig } from './postmortems-schema.js';
import { ByteCount, DurationMs, SecretReference, SingleLine } from './primitives.js';
import { StorageConfigSchema, type StorageConfig } from './storage-schema.js';
import { StoreConfigSchema, type StoreConfig } from './store-schema.js';

/** One person on the roster: who they are, the roles they hold and (optionally) the hash of their API token. */
export const RosterUserSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'must be letters, digits, . _ or -' }),
  /** Display name, used as the sender name of the messages this person sends. */
  name: SingleLine.max(200).optional(),
  email: z.email({ error: 'expected an e-mail address' }).optional(),
  roles: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, { error: 'expected a role name' })).default([]),
  // The message never repeats the value: this field holds credential material.
  token: z
    .string({ error: 'expected sha256:<64 hex digits>' })
    .regex(/^sha256:[0-9a-f]{64}$/, {
      error: 'expected sha256:<64 hex digits> (the SHA-256 of the token, never the token)',
    })
    .optional(),
});
export type RosterUser = z.infer<typeof RosterUserSchema>;

/** The roster: user ids and e-mail addresses are unique. */
export const UsersSchema = z.array(RosterUserSchema).superRefine((users, ctx) => {
  const ids = new Map<string, number>();
  const emails = new Map<string, number>();
  users.forEach((user, index) => {
    const firstId = ids.get(user.id);
    if (firstId !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [index, 'id'],
        message: `duplicate user id \`${user.id}\` (also users[${firstId}])`,
      });
    else ids.set(user.id, index);
    if (user.email === undefined) return;
    const email = user.email.toLowerCase();
    const firstEmail = emails.get(email);
    if (firstEmail !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'email'],
        message: `duplicate e-mail \`${user.email}\` (also users[${firstEmail}])`,
      });
    } else emails.set(email, index);
  });
});

/** Where runbooks are read from; the CLI's `--runbooks` adds to these. */
export const RunbooksConfigSchema = z.strictObject({
  dirs: z.array(z.string().min(1)).optional(),
});

/** Where message templates are read from (`templates/<message>/<channel>.<part>.hbs`). */
export const TemplatesConfigSchema = z.strictObject({
  dirs: z.array(z.string().min(1)).optional(),
});

/** The Temporal connection. `FIREBREAK_TEMPORAL_ADDRESS` overrides the address. */
export const TemporalConfigSchema = z.strictObject({
  address: z.string().min(1).default('127.0.0.1:7233'),
  namespace: z.string().min(1).default('default'),
});
export type TemporalConfig = z.infer<typeof TemporalConfigSchema>;

/** `http.request`: allowed destinations and limits. */
export const HttpActionConfigSchema = z
  .strictObject({
    allow: z.array(z.string().min(1)).default([]),
    allowLinkLocal: z.boolean().default(false),
    maxResponseBytes: ByteCount.default(65_536),
    defaultTimeout: DurationMs.prefault('30s'),
  })
  .transform(({ defaultTimeout, ...rest }) => ({ ...rest, defaultTimeoutMs: defaultTimeout }));
export type HttpActionConfig = z.infer<typeof HttpActionConfigSchema>;

/** `command.run`: the scripts directory and limits. */
export const CommandActionConfigSchema = z
  .strictObject({
    scriptsDir: z.string().min(1).default('./scripts/actions'),
    maxOutputBytes: ByteCount.default(65_536),
    defaultTimeout: DurationMs.prefault('5m'),
  })
  .transform(({ defaultTimeout, ...rest }) => ({ ...rest, defaultTimeoutMs: defaultTimeout }));
export type CommandActionConfig = z.infer<typeof CommandActionConfigSchema>;

/** The built-in actions' settings. */
export const ActionsConfigSchema = z.strictObject({
  // `prefault` runs the section's own defaults, so they are written once, in the section's schema.
  http: HttpActionConfigSchema.prefault({}),
  command: CommandActionConfigSchema.prefault({}),
});
export type ActionsConfig = z.infer<typeof ActionsConfigSchema>;

const RoleNames = z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, { error: 'expected a role name' }));

/**
 * `access`: who may trigger which runbooks through the API (runbook id, or `*` for the rest, to role
 * names), and the roles that may read every incident (`read`) or administer (`admin`, which reads too).
 */
export const AccessConfigSchema = z.strictObject({
  trigger: z
    .record(z.string().regex(/^(?:\*|[a-z0-9]+(?:-[a-z0-9]+)*)$/, { error: 'expected a runbook id or *' }), RoleNames)
    .default({}),
  read: RoleNames.optional(),
  admin: RoleNames.optional(),
});
export type AccessConfig = z.infer<typeof AccessConfigSchema>;

/** `api`: limits of the HTTP API. */
export const ApiConfigSchema = z
  .strictObject({
    bodyLimit: ByteCount.default(65_536),
    authFailures: z
      .strictObject({
        max: z.int({ error: 'expected a whole number' }).min(1, { error: 'must be at least 1' }).default(10),
        window: DurationMs.prefault('1m'),
      })
      .prefault({}),
    // Behind a reverse proxy, the addresses of the proxies whose X-Forwarded-For is believed (so rate limits
    // and the audit log see clients, not the proxy). Off by default: a client could forge the header.
    trustProxy: z.array(z.string().min(1), { error: 'expected a list of proxy addresses or CIDR ranges' }).optional(),
  })
  .transform(({ authFailures: { window, max }, ...rest }) => ({ ...rest, authFailures: { max, windowMs: window } }));
export type ApiConfig = z.infer<typeof ApiConfigSchema>;

/** A CEL expression over `alert`, type-checked when the config loads (a bad one is located like any problem). */
function alertExpression(kind: AlertExpressionKind) {
  return z
    .string({ error: 'expected a CEL expression over `alert`' })
    .min(1, { error: 'expected a CEL expression over `alert`' })
    .superRefine((expression, ctx) => {
      const checked = checkAlertExpression(expression, kind);
      if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.message });
    });
}

/** One webhook route: which alerts it takes, and the runbook trigger it makes of them. */
export const WebhookRouteSchema = z.strictObject({
  receiver: z.enum(RECEIVERS),
  match: alertExpression('bool').optional(),
  runbook: z.string().min(1),
  params: z.record(z.string().min(1), alertExpression('any')).optional(),
  dedupKey: alertExpression('string').optional(),
  // A literal severity, or a CEL expression that gives one.
  severity: z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      if ((SEVERITIES as readonly string[]).includes(value)) return;
      const checked = checkAlertExpression(value, 'string');
      if (!checked.ok) {
        ctx.addIssue({
          code: 'custom',
          message: `expected ${SEVERITIES.join(', ')} or a CEL expression: ${checked.message}`,
        });
      }
    })
    .optional(),
});
export type WebhookRoute = z.infer<typeof WebhookRouteSchema>;

/** `webhooks`: alert receivers (Alertmanager, generic signed JSON) and the routes from alerts to runbooks. */
export const WebhooksConfigSchema = z.strictObject({
  maxBodyBytes: ByteCount.default(1_048_576),
  generic: z
    .strictObject({
      // Two during a rotation: the new one and the one being retired.
      secrets: z
        .array(SecretReference)
        .max(2, { error: 'at most 2 secrets (the new one and the old one)' })
        .default([]),
      // The v1 signature (`sha256=`) leaves the delivery id unsigned; accept it only while senders migrate.
      acceptV1Signatures: z.boolean({ error: 'expected true or false' }).default(false),
    })
    .prefault({}),
  routes: z.array(WebhookRouteSchema).default([]),
});
export type WebhooksConfig = z.infer<typeof WebhooksConfigSchema>;

/** The whole file as written. */
export const ConfigFileSchema = z
  .strictObject({
    users: UsersSchema.default([]),
    runbooks: RunbooksConfigSchema.prefault({}),
    templates: TemplatesConfigSchema.prefault({}),
    temporal: TemporalConfigSchema.prefault({}),
    actions: ActionsConfigSchema.prefault({}),
    secrets: SecretsConfigSchema,
    // Optional sections: absent means the defaults, applied where they are used (`ApiConfigSchema.parse({})`).
    access: AccessConfigSchema.optional(),
    api: ApiConfigSchema.optional(),
    webhooks: WebhooksConfigSchema.optional(),
    channels: ChannelsConfigSchema.optional(),
    storage: StorageConfigSchema.optional(),
    backups: BackupsConfigSchema.optional(),
    postmortems: PostmortemsConfigSchema.optional(),
    store: StoreConfigSchema.optional(),
    infra: InfraConfigSchema.optional(),
    evidence: EvidenceConfigSchema.optional(),
  })
  .superRefine((file, ctx) => {
    // Evidence kept where backups write could be overwritten or pruned with them: keep them apart.
    const overlap = file.evidence?.storage && evidenceOverlap(file.evidence.storage, file.storage);
    if (overlap)
      ctx.addIssue({
        code: 'custom',
        path: ['evidence', 'storage'],
        message: `must be apart from storage: ${overlap}`,
      });
  });
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** The configuration an entry point works with: paths resolved, overrides applied. */
export interface FirebreakConfig {
  /** The file it was read from, or undefined when the built-in defaults apply. */
  source?: string;
  users: RosterUser[];
  runbooks: { dirs: string[] };
  /** Template directories, in order; a message defined in two of them is a problem. */
  templates: { dirs: string[] };
  temporal: TemporalConfig;
  actions: ActionsConfig;
  /** The secrets runbooks may use, by name (own entries only); empty when none are declared. */
  secrets: Record<string, DeclaredSecret>;
  /**
   * Who may trigger what through the API (absent: any authenticated user may trigger any runbook), and who
   * reads every incident (absent: only each incident's own people and the admins of the entry point).
   */
  access?: AccessConfig;
  /** API limits; absent means the defaults. */
  api?: ApiConfig;
  /** Alert receivers and routes; absent means no routes and no generic secrets. */
  webhooks?: WebhooksConfig;
  /** Outbound channels (email, webhook endpoints, status page); absent means `ChannelsConfigSchema.parse({})`. */
  channels?: ChannelsConfig;
  /** The blob store, its paths resolved; absent means the filesystem store under the data directory. */
  storage?: StorageConfig;
  /** Backup sources and restore targets, paths resolved; absent means no sources and default targets. */
  backups?: BackupsConfig;
  /** Which incidents need a post-mortem, and how they read; absent means `PostmortemsConfigSchema.parse({})`. */
  postmortems?: PostmortemsConfig;
  /** The post-mortem store; absent means PGlite under `<data dir>/postmortems`. */
  store?: StoreConfig;
  /** The infrastructure providers by name; absent means none. */
  infra?: InfraConfig;
  /** Where evidence is kept, paths resolved; absent means the filesystem store under `<data dir>/evidence/blobs`. */
  evidence?: EvidenceConfig;
}
