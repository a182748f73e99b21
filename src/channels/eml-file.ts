/**
 * The embedded default email channel: with no SMTP configured, each email is written as an RFC 5322
 * `.eml` file (real MIME from nodemailer) instead of being sent, so a first run sends nothing by surprise.
 * The file name comes from the delivery key, so a duplicate after a crash overwrites instead of adding.
 */
import { chmod, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../storage/private-files.js';
import { deliveryId, settle } from './delivery.js';
import { buildRecipientMails, type EmailDefaults } from './email-message.js';
import type { Channel, DeliveryReceipt, OutboundMessage, RecipientDelivery } from './types.js';

/** Options for `createEmlFileChannel`. */
export interface EmlFileChannelOptions extends EmailDefaults {
  /** Directory the `.eml` files go to (created when missing), e.g. `<data dir>/outbox`. */
  directory: string;
}

/** The file name for one delivery: readable prefix of the key plus its hash, safe on every file system. */
export function emlFileName(key: string): string {
  const full = key.replace(/[^A-Za-z0-9._@-]+/g, '-').replace(/^[-.]+/, '');
  // A long key keeps its start (the incident) and its end (channel and recipient), which people look for.
  const slug = full.length <= 100 ? full : `${full.slice(0, 48)}--${full.slice(-50)}`;
  return `${slug}-${deliveryId(key).slice(0, 16)}.eml`;
}

/** Creates the `.eml` file channel. */
export function createEmlFileChannel(options: EmlFileChannelOptions): Channel {
  // streamTransport with `buffer` composes the full MIME message without any network.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    name: 'email',
    async send(message: OutboundMessage): Promise<DeliveryReceipt> {
      const mails = buildRecipientMails(message, options);
      // Messages hold incident details: the outbox is owner-only (0700), each file 0600.
      await ensurePrivateDir(options.directory);
      const delivered: RecipientDelivery[] = [];
      for (const mail of mails) {
        const info = await composer.sendMail(mail.options);
        const file = path.join(options.directory, emlFileName(mail.key));
        // Write then rename, so a crash never leaves a half-written file where a reader expects a message.
        const partial = `${file}.${process.pid}.tmp`;
        try {
          await writeFile(partial, info.message, { mode: PRIVATE_FILE_MODE });
          // A partial file left by a crash keeps its old mode when rewritten: narrow it before it becomes the message.
          await chmod(partial, PRIVATE_FILE_MODE);
          await rename(partial, file);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? 'write error';
          throw new FirebreakError(ErrorCode.Transient, `cannot write ${file} (${code})`);
        }
        delivered.push({ recipient: mail.recipient, messageId: mail.messageId, response: `written to ${file}` });
      }
      return settle('email', delivered, []);
    },
  };
}
