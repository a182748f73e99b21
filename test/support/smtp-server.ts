/**
 * A real SMTP server on loopback for tests (smtp-server): captures the raw MIME of every message once per
 * envelope recipient, can reject chosen recipients with a 550 and can require AUTH PLAIN/LOGIN.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** One message as the server received it, for one envelope recipient. */
export interface CapturedMail {
  recipient: string;
  mailFrom: string;
  /** The name the client announced in EHLO/HELO. */
  clientHostname: string;
  raw: Buffer;
  user?: string;
}

/** Options for `startSmtpServer`. */
export interface TestSmtpOptions {
  /** When set, clients must authenticate with exactly these credentials. */
  auth?: { user: string; pass: string };
}

/** A running test server. */
export interface TestSmtpServer {
  port: number;
  messages: CapturedMail[];
  /** Recipients answered with `550 5.1.1 <addr>: mailbox unavailable` at RCPT TO. */
  rejected: Set<string>;
  /** Every AUTH the server was sent (user names only), valid or not: proves credentials were or were not sent. */
  authAttempts: string[];
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const messages: CapturedMail[] = [];
  const rejected = new Set<string>();
  const authAttempts: string[] = [];
  const config: SMTPServerOptions = {
    secure: false,
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !options.auth,
    // Loopback only, no TLS in tests: allow AUTH over the plain connection.
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      authAttempts.push(auth.username ?? '');
      const expected = options.auth;
      if (expected && auth.username === expected.user && auth.password === expected.pass) {
        callback(null, { user: auth.username });
        return;
      }
      callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (rejected.has(address.address.toLowerCase())) {
        callback(Object.assign(new Error(`5.1.1 <${address.address}>: mailbox unavailable`), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        const user = typeof session.user === 'string' ? session.user : undefined;
        const clientHostname = session.hostNameAppearsAs;
        for (const rcpt of session.envelope.rcptTo)
          messages.push({ recipient: rcpt.address, mailFrom, clientHostname, raw, user });
        callback(null);
      });
    },
  };
  const server = new SMTPServer(config);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    messages,
    rejected,
    authAttempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
