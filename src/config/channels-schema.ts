/**
 * `channels`: how approved messages leave Firebreak. `email` (SMTP, or `.eml` files when no SMTP is set),
 * `webhook` (named endpoints in JSON or Slack format, behind an allow-list) and `statuspage` (the public
 * pages published to the blob store). Shaped like the options of the adapters in `src/channels/`.
 */
import { z } from 'zod';
import { compileAllowList, findAllowEntry, parseAllowEntry } from '../actions/http/allow-list.js';
import { DurationMs, SECRET_REFERENCE, SecretReference, SingleLine, TimeZone } from './primitives.js';

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const MAILBOX = /^[^\s<>@,;"]+@[^\s<>@,;"]+$/;
const NAMED_MAILBOX = /^[^<>\p{Cc}]*<[^\s<>@,;"]+@[^\s<>@,;"]+>$/u;

/** A From header value: `addr@example.com` or `Name <addr@example.com>`. */
const MailboxHeader = z
  .string({ error: (issue) => (issue.input === undefined ? undefined : 'expected Name <address> or an address') })
  .refine((text) => MAILBOX.test(text) || NAMED_MAILBOX.test(text.trim()), {
    error: 'expected an e-mail address, or Name <address>',
  });

/** A `file:PATH` reference (a PEM file, read when the channel is built). */
const FileReference = z
  .string({ error: (issue) => (issue.input === undefined ? undefined : 'expected file:PATH') })
  .regex(/^file:\S.*$/, { error: 'expected file:PATH (a PEM file)' });

/** `channels.email.smtp`: the SMTP server; omit it to write `.eml` files instead of sending. */
export const SmtpConfigSchema = z
  .strictObject({
    host: z.string().min(1),
    port: z
      .int({ error: 'expected a port number' })
      .min(1, { error: 'must be a port number (1-65535)' })
      .max(65_535, { error: 'must be a port number (1-65535)' }),
    // Implicit TLS (port 465); otherwise STARTTLS when the server offers it, required with `requireTLS`.
    secure: z.boolean().default(false),
    // Default: required when `auth` is set (credentials never cross the wire in the clear), else opportunistic.
    requireTLS: z.boolean().optional(),
    // The one way to send credentials over a connection that may stay unencrypted (a trusted local relay).
    allowPlaintextAuth: z.boolean().default(false),
    tls: z
      .strictObject({
        ca: FileReference.optional(),
        rejectUnauthorized: z.boolean().default(true),
        servername: z.string().min(1).optional(),
      })
      .optional(),
    auth: z.strictObject({ user: SecretReference, pass: SecretReference }).optional(),
    timeout: DurationMs.prefault('30s'),
    // The host name announced in EHLO (default: this machine's); relays and spam filters check it.
    name: z.string().regex(HOST_NAME, { error: 'expected a host name such as mail.example.com' }).optional(),
    // The envelope sender (MAIL FROM), where bounces go (default: the From address of each message).
    envelopeFrom: z.email({ error: 'expected an e-mail address' }).optional(),
  })
  .superRefine((smtp, ctx) => {
    if (smtp.auth === undefined || smtp.secure || smtp.requireTLS !== false || smtp.allowPlaintextAuth) return;
    ctx.addIssue({
      code: 'custom',
      path: ['requireTLS'],
      message:
        'requireTLS: false would send the auth credentials in the clear; set allowPlaintextAuth: true to allow that',
    });
  })
  .transform(({ timeout, requireTLS, ...rest }) => ({
    ...rest,
    requireTLS: requireTLS ?? (rest.auth !== undefined && !rest.allowPlaintextAuth),
    timeoutMs: timeout,
  }));
export type SmtpConfig = z.infer<typeof SmtpConfigSchema>;

/** `channels.email`: the default sender and Reply-To, and the SMTP server if any. */
export const EmailChannelConfigSchema = z.strictObject({
  from: MailboxHeader.default('Firebreak <firebreak@localhost>'),
  replyTo: z.email({ error: 'expected an e-mail address' }).optional(),
  smtp: SmtpConfigSchema.optional(),
});
export type EmailChannelConfig = z.infer<typeof EmailChannelConfigSchema>;

/** Names of webhook endpoints, as runbooks write them under `to.webhook` and `to.chat`. */
export const ENDPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** An endpoint URL: literal http(s), or a secret reference (a Slack webhook URL is itself a credential). */
const EndpointUrl = z
  .string({ error: (issue) => (issue.input === undefined ? undefined : 'expected a URL or a secret reference') })
  .superRefine((text, ctx) => {
    if (/^(env|file):/.test(text)) {
      if (!SECRET_REFERENCE.test(text)) ctx.addIssue({ code: 'custom', message: 'expected env:NAME or file:PATH' });
      return;
    }
    if (!isHttpUrl(text)) ctx.addIssue({ code: 'custom', message: 'expected an http(s) URL or a secret reference' });
  });

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** `channels.webhook.endpoints.<name>`. */
export const WebhookEndpointConfigSchema = z.strictObject({
  url: EndpointUrl,
  format: z.enum(['json', 'slack']).default('json'),
  secret: SecretReference.optional(),
});
export type WebhookEndpointConfig = z.infer<typeof WebhookEndpointConfigSchema>;

/** An `allow` entry, checked when the file loads rather than at the first send. */
const AllowEntry = z.string().superRefine((entry, ctx) => {
  try {
    parseAllowEntry(entry);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message:
        'expected an entry like https://host, https://*.example.com, http://host:*, https://host/path/ or https://host via 10.0.0.0/8',
    });
  }
});

/** `channels.webhook`: the endpoints and the destinations they may point at. */
export const WebhookChannelConfigSchema = z
  .strictObject({
    allow: z.array(AllowEntry).default([]),
    allowLinkLocal: z.boolean().default(false),
    timeout: DurationMs.prefault('10s'),
    endpoints: z
      .record(
        z.string().regex(ENDPOINT_NAME, { error: 'must start with a letter or digit: letters, digits, _ . -' }),
        WebhookEndpointConfigSchema,
      )
      .default({}),
  })
  .superRefine(checkEndpointsAllowed)
  .transform(({ timeout, ...rest }) => ({ ...rest, timeoutMs: timeout }));
export type WebhookChannelConfig = z.infer<typeof WebhookChannelConfigSchema>;

/** A literal endpoint URL outside `allow` could never be sent to: say so now. References are checked at send. */
function checkEndpointsAllowed(
  webhook: { allow: string[]; endpoints: Record<string, WebhookEndpointConfig> },
  ctx: z.RefinementCtx,
): void {
  let allow;
  try {
    allow = compileAllowList(webhook.allow);
  } catch {
    return; // the bad entry is reported on its own
  }
  for (const [name, endpoint] of Object.entries(webhook.endpoints)) {
    if (!isHttpUrl(endpoint.url) || findAllowEntry(allow, new URL(endpoint.url))) continue;
    ctx.addIssue({
      code: 'custom',
      path: ['endpoints', name, 'url'],
      message: 'not admitted by channels.webhook.allow',
    });
  }
}

/** `channels.statuspage`: the public pages' title, public URL, time zone and key prefix in the blob store. */
export const StatusPageConfigSchema = z.strictObject({
  title: SingleLine.max(200).default('Status'),
  timezone: TimeZone.default('UTC'),
  siteUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*(?:\/[A-Za-z0-9][A-Za-z0-9_-]*)*$/, {
      error: 'expected a key prefix such as status or public/status',
    })
    .default('status'),
});
export type StatusPageConfig = z.infer<typeof StatusPageConfigSchema>;

/** `channels`: every section optional; the defaults send email to `.eml` files and have no webhook endpoints. */
export const ChannelsConfigSchema = z.strictObject({
  email: EmailChannelConfigSchema.prefault({}),
  webhook: WebhookChannelConfigSchema.prefault({}),
  statuspage: StatusPageConfigSchema.prefault({}),
});
export type ChannelsConfig = z.infer<typeof ChannelsConfigSchema>;
