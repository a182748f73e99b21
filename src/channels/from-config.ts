/**
 * Builds the message router from `channels` in the config: email over SMTP when `channels.email.smtp` is
 * set, else the `.eml` outbox under the data directory; the webhook channel over the configured endpoints;
 * and the status page over the given blob store.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../actions/types.js';
import type { HostLookup } from '../actions/http/destination.js';
import {
  ChannelsConfigSchema,
  type EmailChannelConfig,
  type FirebreakConfig,
  type SmtpConfig,
} from '../config/index.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { SecretResolver } from '../secrets/resolver.js';
import type { BlobStore } from '../storage/blob-store.js';
import { createEmailChannel, type SmtpSettings } from './email.js';
import { createEmlFileChannel } from './eml-file.js';
import { createMessageRouter } from './router.js';
import { createStatusPageChannel } from './statuspage.js';
import type { Channel, MessageRouter } from './types.js';
import { createWebhookChannel } from './webhook.js';

/** What `messageRouterFromConfig` builds over. */
export interface MessageRouterDeps {
  /** The data directory; without SMTP, email is written to `<dataDir>/outbox`. */
  dataDir: string;
  /** Resolves SMTP credentials, webhook secrets and URLs given as references, at each send. */
  secrets: SecretResolver;
  logger: Logger;
  /** Where the status page is published (the same store the API serves `/status` from). */
  store: BlobStore;
  /** DNS lookup for webhook destinations; injectable for tests. */
  lookup?: HostLookup;
}

/** The outbox directory the `.eml` channel writes to when no SMTP server is configured. */
export function outboxDir(dataDir: string): string {
  return path.join(dataDir, 'outbox');
}

/** Builds the router. Reads the SMTP CA file, if any, now; secrets are resolved only when sending. */
export async function messageRouterFromConfig(
  config: Pick<FirebreakConfig, 'channels'>,
  deps: MessageRouterDeps,
): Promise<MessageRouter> {
  const channels = config.channels ?? ChannelsConfigSchema.parse({});
  const { webhook, statuspage } = channels;
  return createMessageRouter({
    email: await emailChannel(channels.email, deps),
    webhook: createWebhookChannel({
      endpoints: webhook.endpoints,
      allow: webhook.allow,
      allowLinkLocal: webhook.allowLinkLocal,
      timeoutMs: webhook.timeoutMs,
      secrets: deps.secrets,
      ...(deps.lookup === undefined ? {} : { lookup: deps.lookup }),
    }),
    webhookEndpoints: webhook.endpoints,
    statuspage: createStatusPageChannel({
      store: deps.store,
      prefix: statuspage.prefix,
      title: statuspage.title,
      timeZone: statuspage.timezone,
      ...(statuspage.siteUrl === undefined ? {} : { siteUrl: statuspage.siteUrl }),
    }),
  });
}

async function emailChannel(email: EmailChannelConfig, deps: MessageRouterDeps): Promise<Channel> {
  const defaults = {
    from: email.from,
    ...(email.replyTo === undefined ? {} : { replyTo: email.replyTo }),
    ...(email.smtp?.envelopeFrom === undefined ? {} : { envelopeFrom: email.smtp.envelopeFrom }),
  };
  if (email.smtp !== undefined) {
    return createEmailChannel({ ...defaults, smtp: await smtpSettings(email.smtp), secrets: deps.secrets });
  }
  const directory = outboxDir(deps.dataDir);
  deps.logger.info(
    { directory },
    'email: no SMTP server configured (channels.email.smtp); messages are written as .eml files there, nothing is sent',
  );
  return createEmlFileChannel({ ...defaults, directory });
}

/** The adapter's SMTP settings; the CA reference (already absolute) is read here, once. */
async function smtpSettings(smtp: SmtpConfig): Promise<SmtpSettings> {
  const { tls } = smtp;
  const settings: SmtpSettings = {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTLS,
    allowPlaintextAuth: smtp.allowPlaintextAuth,
    timeoutMs: smtp.timeoutMs,
    ...(smtp.name === undefined ? {} : { clientName: smtp.name }),
    ...(smtp.auth === undefined ? {} : { auth: { user: smtp.auth.user, pass: smtp.auth.pass } }),
  };
  if (tls === undefined) return settings;
  settings.tls = {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    ...(tls.ca === undefined ? {} : { ca: await readCa(tls.ca) }),
  };
  return settings;
}

async function readCa(reference: string): Promise<string> {
  const file = reference.slice('file:'.length);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read error';
    throw new FirebreakError(ErrorCode.InvalidInput, `channels.email.smtp.tls.ca: cannot read ${file} (${code})`);
  }
}
