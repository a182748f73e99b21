/**
 * A loopback HTTP receiver for webhook tests that does what a careful receiver does: verifies the HMAC
 * signature over the raw body before looking at it, in constant time, with a 300 s timestamp window.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as received. */
export interface ReceivedHook {
  name: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: boolean;
}

/** A running receiver: endpoints are `/hooks/<name>`. */
export interface WebhookReceiver {
  baseUrl: string;
  requests: ReceivedHook[];
  /** Shared secret per endpoint name; requests to a name with a secret must carry a valid signature. */
  secrets: Map<string, string>;
  /** A canned answer per endpoint name (default 204). */
  answers: Map<string, { status: number; body: string }>;
  close(): Promise<void>;
}

function verify(secret: string, headers: http.IncomingHttpHeaders, raw: Buffer, nowSeconds: number): boolean {
  const timestamp = headers['x-firebreak-timestamp'];
  const signature = headers['x-firebreak-signature'];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest('hex');
  const given = Buffer.from(signature.replace(/^sha256=/, ''), 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Starts the receiver on 127.0.0.1 with an ephemeral port. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedHook[] = [];
  const secrets = new Map<string, string>();
  const answers = new Map<string, { status: number; body: string }>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const name = (req.url ?? '').replace(/^\/hooks\//, '');
      const secret = secrets.get(name);
      const verified = secret === undefined ? false : verify(secret, req.headers, raw, Date.now() / 1000);
      requests.push({ name, headers: req.headers, body: raw.toString('utf8'), verified });
      if (secret !== undefined && !verified) {
        res.writeHead(401).end('bad signature');
        return;
      }
      const answer = answers.get(name) ?? { status: 204, body: '' };
      res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    secrets,
    answers,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
