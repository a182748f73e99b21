/**
 * Builds the nodemailer message for one recipient of an email, shared by the SMTP and `.eml` adapters so
 * both produce the same MIME: From from the sender identity, Reply-To, text and HTML parts, and the
 * deterministic Message-ID `<sha256(delivery key)@<domain of the From address>>`.
 */
import type Mail from 'nodemailer/lib/mailer/index.js';
import { EMAIL_ADDRESS } from '../domain/addresses.js';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { deliveryId, deliveryKey } from './delivery.js';
import type { OutboundMessage } from './types.js';

/** Addresses used when the message does not say otherwise. */
export interface EmailDefaults {
  /** The default From, e.g. `Firebreak <firebreak@example.com>`; used when the sender has no email. */
  from: string;
  /** The Reply-To when neither the message nor its sender gives one. */
  replyTo?: string;
  /** The envelope sender (MAIL FROM, where bounces go); default: the From address. */
  envelopeFrom?: string;
}

/** One recipient's message, with its stable id. */
export interface RecipientMail {
  recipient: string;
  key: string;
  messageId: string;
  options: Mail.Options;
}

// Deliberately loose: the receiving server is the judge of addresses; this only stops header injection
// and obvious garbage before a connection is opened. The workflow checks recipients with the same rule
// when it renders the message for approval; this is the last line.
const ADDRESS = EMAIL_ADDRESS;
const ANGLE = /<([^<>]+)>\s*$/;

function invalid(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, message);
}

/** The bare address in `Name <addr>` or `addr`. */
export function bareAddress(text: string): string {
  return (ANGLE.exec(text)?.[1] ?? text).trim();
}

function fromHeader(message: OutboundMessage, defaults: EmailDefaults): Mail.Address | string {
  const { name, email } = message.from;
  if (email !== undefined && email !== '') {
    if (!ADDRESS.test(email)) throw invalid(`sender ${message.from.id} has an invalid email address`);
    return name ? { name, address: email } : email;
  }
  // A person without a mailbox sends through the default address under their own name.
  return name ? { name, address: bareAddress(defaults.from) } : defaults.from;
}

// Replies go to the step's replyTo, else to the sender: a sender with a mailbox is the From address, so no
// Reply-To is needed. Only a sender without one falls back to the configured default.
function replyToHeader(message: OutboundMessage, defaults: EmailDefaults): string | undefined {
  const own = message.from.email !== undefined && message.from.email !== '';
  const replyTo = message.replyTo ?? (own ? undefined : defaults.replyTo);
  if (replyTo === undefined || replyTo === '') return undefined;
  if (!ADDRESS.test(bareAddress(replyTo))) throw invalid('Reply-To is not a valid email address');
  return replyTo;
}

function requiredPart(message: OutboundMessage, part: string): string {
  const value = message.parts[part];
  if (value === undefined || value === '') throw invalid(`email message has no ${part} part`);
  return value;
}

/** Checks the message and builds one nodemailer message per recipient, in the order of `to`. */
export function buildRecipientMails(message: OutboundMessage, defaults: EmailDefaults): RecipientMail[] {
  if (message.to.length === 0) throw invalid('email message has no recipients');
  const subject = requiredPart(message, 'subject');
  const text = requiredPart(message, 'text');
  const html = message.parts.html;
  const from = fromHeader(message, defaults);
  const fromAddress = bareAddress(typeof from === 'string' ? from : (from.address ?? defaults.from));
  const replyTo = replyToHeader(message, defaults);
  // RFC 5322 asks for a domain on the right of a Message-ID: the sender's, which also keeps ids unique per sender.
  const idDomain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1);
  return message.to.map((recipient) => {
    if (!ADDRESS.test(recipient)) throw invalid(`recipient "${recipient}" is not an email address`);
    const key = deliveryKey(message, recipient);
    const messageId = `<${deliveryId(key)}@${idDomain}>`;
    const options: Mail.Options = {
      from,
      to: recipient,
      replyTo,
      subject,
      text,
      html: html === undefined || html === '' ? undefined : html,
      messageId,
      headers: {
        // RFC 3834: tells auto-responders not to answer, so an out-of-office cannot loop back.
        'Auto-Submitted': 'auto-generated',
        'X-Firebreak-Incident': message.incidentId,
        'X-Firebreak-Step': message.stepId,
        'X-Firebreak-Fingerprint': message.fingerprint,
      },
      // One envelope recipient per message: a 550 is attributable to exactly this address.
      envelope: {
        from: defaults.envelopeFrom ?? fromAddress,
        to: [recipient],
      },
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    return { recipient, key, messageId, options };
  });
}
