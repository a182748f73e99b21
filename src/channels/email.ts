/**
 * The email channel over SMTP (nodemailer): one message per recipient with a deterministic Message-ID,
 * credentials resolved from secret references at send time, and SMTP replies classified into permanent
 * (5xx: DELIVERY_REJECTED) and transient (4xx, network, timeouts: TRANSIENT) failures.
 */
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { SecretResolver } from '../secrets/resolver.js';
import { excerpt, redact, settle, type RecipientFailure } from './delivery.js';
import { buildRecipientMails, type EmailDefaults } from './email-message.js';
import type { Channel, DeliveryReceipt, OutboundMessage, RecipientDelivery } from './types.js';

/** How to reach the SMTP server (the proposed `channels.email` config, minus the defaults). */
export interface SmtpSettings {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465). */
  secure?: boolean;
  /**
   * Refuse to send unless the server upgrades with STARTTLS (ignored when `secure`). Always on when `auth`
   * is set, unless `allowPlaintextAuth`.
   */
  requireTLS?: boolean;
  /** Allow `auth` over a connection the server does not upgrade with STARTTLS (a trusted local relay). */
  allowPlaintextAuth?: boolean;
  /** TLS options: a private CA (PEM) and whether to verify the certificate (default true). */
  tls?: { ca?: string; rejectUnauthorized?: boolean; servername?: string };
  /** Both are secret references (`env:NAME`, `file:PATH`), resolved at each send, never logged. */
  auth?: { user: string; pass: string };
  /** Connection, greeting and socket timeouts in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** The name this client announces in EHLO (default: the OS host name). */
  clientName?: string;
}

/** Options for `createEmailChannel`. */
export interface EmailChannelOptions extends EmailDefaults {
  smtp: SmtpSettings;
  secrets: SecretResolver;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const NETWORK_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'ECONNRESET', 'ECONNREFUSED']);

/** An SMTP error as nodemailer reports it. */
interface SmtpError {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
}

/** Classifies a nodemailer error into a FirebreakError whose message carries the server's reason only. */
export function classifySmtpError(error: unknown, secrets: readonly string[]): FirebreakError {
  if (error instanceof FirebreakError) return error;
  const smtp = (typeof error === 'object' && error !== null ? error : {}) as SmtpError;
  const code = typeof smtp.code === 'string' ? smtp.code : undefined;
  const status = typeof smtp.responseCode === 'number' ? smtp.responseCode : undefined;
  // The server's own reply line is the reason worth showing; nodemailer's message can quote commands.
  const reply = typeof smtp.response === 'string' ? excerpt(redact(smtp.response, secrets)) : undefined;
  const details = { smtpCode: code, status };
  if (code === 'ETLS') {
    // With requireTLS nodemailer stops before AUTH and MAIL FROM: nothing, credentials included, was sent.
    const why = reply === undefined ? 'the TLS handshake failed' : `STARTTLS refused: ${reply}`;
    // `secrets` holds the resolved credentials: present exactly when AUTH was configured.
    const sent =
      secrets.length > 0
        ? 'nothing was sent, credentials included (channels.email.smtp.allowPlaintextAuth: true allows AUTH without TLS)'
        : 'nothing was sent (channels.email.smtp.requireTLS)';
    return new FirebreakError(
      status === undefined ? ErrorCode.Transient : ErrorCode.DeliveryRejected,
      `SMTP server did not secure the connection (${why}); ${sent}`,
      details,
    );
  }
  if (code === 'EAUTH') {
    return new FirebreakError(
      ErrorCode.DeliveryRejected,
      `SMTP authentication failed: ${reply ?? 'no reply'}`,
      details,
    );
  }
  if (status !== undefined && status >= 500) {
    return new FirebreakError(ErrorCode.DeliveryRejected, `rejected by the SMTP server: ${reply ?? status}`, details);
  }
  if (status !== undefined && status >= 400) {
    return new FirebreakError(ErrorCode.Transient, `deferred by the SMTP server: ${reply ?? status}`, details);
  }
  const what = code !== undefined && NETWORK_CODES.has(code) ? code : (code ?? 'unknown error');
  return new FirebreakError(ErrorCode.Transient, `SMTP exchange failed: ${what}`, details);
}

async function resolveAuth(
  settings: SmtpSettings,
  secrets: SecretResolver,
): Promise<{ auth?: { user: string; pass: string }; values: string[] }> {
  if (!settings.auth) return { values: [] };
  const user = await secrets.resolve(settings.auth.user);
  const pass = await secrets.resolve(settings.auth.pass);
  return { auth: { user, pass }, values: [pass, user] };
}

function transportOptions(settings: SmtpSettings, auth: { user: string; pass: string } | undefined) {
  const timeout = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const options: SMTPTransport.Options = {
    host: settings.host,
    port: settings.port,
    secure: settings.secure ?? false,
    // Credentials go out only over TLS unless plaintext AUTH was allowed in so many words.
    requireTLS: settings.requireTLS === true || (auth !== undefined && settings.allowPlaintextAuth !== true),
    tls: { rejectUnauthorized: settings.tls?.rejectUnauthorized ?? true },
    auth,
    name: settings.clientName,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    // nodemailer's logger would print the SMTP dialogue, AUTH included: never enable it here.
    logger: false,
    debug: false,
  };
  if (settings.tls?.ca !== undefined && options.tls) options.tls.ca = settings.tls.ca;
  if (settings.tls?.servername !== undefined && options.tls) options.tls.servername = settings.tls.servername;
  return options;
}

/** Creates the SMTP email channel. Nothing is resolved or connected until `send`. */
export function createEmailChannel(options: EmailChannelOptions): Channel {
  return {
    name: 'email',
    async send(message: OutboundMessage): Promise<DeliveryReceipt> {
      const mails = buildRecipientMails(message, options);
      const { auth, values } = await resolveAuth(options.smtp, options.secrets);
      const transport = nodemailer.createTransport(transportOptions(options.smtp, auth));
      const delivered: RecipientDelivery[] = [];
      const failures: RecipientFailure[] = [];
      try {
        // Sequential on purpose: recipients of one notice are few, and order makes retries predictable.
        for (const mail of mails) {
          try {
            const info = await transport.sendMail(mail.options);
            const response = excerpt(redact(info.response, values));
            delivered.push({
              recipient: mail.recipient,
              messageId: mail.messageId,
              status: replyCode(response),
              response,
            });
          } catch (error) {
            failures.push({ recipient: mail.recipient, error: classifySmtpError(error, values) });
          }
        }
      } finally {
        transport.close();
      }
      return settle('email', delivered, failures);
    },
  };
}

function replyCode(response: string): number | undefined {
  const match = /^(\d{3})\b/.exec(response);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
