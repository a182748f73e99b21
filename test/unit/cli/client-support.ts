/**
 * A real HTTP server on 127.0.0.1 that answers the CLI with canned JSON and records every request, and
 * a runner for the CLI in-process against it. It tests the CLI's wire behaviour and wording, not
 * Firebreak's logic.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../../src/cli/main.js';
import type { CliDeps } from '../../../src/cli/context.js';
import { testActions } from '../runbook/helpers.js';

/** One request as the server received it. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
}

/** What the server answers. */
export interface CannedResponse {
  status: number;
  body?: unknown;
  /** Sent as is instead of `body`, for answers that are not JSON. */
  raw?: string;
  headers?: Record<string, string>;
}

/** A running canned server. */
export interface CannedServer {
  url: string;
  requests: RecordedRequest[];
  /** Sets the answer to every following request. */
  answer(response: CannedResponse | ((request: RecordedRequest) => CannedResponse)): void;
  close(): Promise<void>;
}

/** Starts a canned server on a free port of 127.0.0.1; it answers 200 `{}` until told otherwise. */
export async function startCannedServer(): Promise<CannedServer> {
  const requests: RecordedRequest[] = [];
  let respond: (request: RecordedRequest) => CannedResponse = () => ({ status: 200, body: {} });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      requests.push(request);
      const response = respond(request);
      const payload = response.raw ?? JSON.stringify(response.body ?? {});
      res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(response) {
      respond = typeof response === 'function' ? response : () => response;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** What a CLI run printed and returned. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process with the given environment and working directory. */
export async function cli(args: string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<CliResult> {
  let out = '';
  let err = '';
  const deps: CliDeps = { out: (text) => (out += text), err: (text) => (err += text), env, cwd, actions: testActions };
  const code = await runCli(args, deps);
  return { code, out, err };
}

/** The headers every API request of the CLI carries, with the token given. */
export function expectedHeaders(token: string, withBody: boolean): Record<string, string> {
  return {
    accept: 'application/json',
    authorization: `Bearer ${token}`,
    'x-firebreak-client': 'cli',
    ...(withBody && { 'content-type': 'application/json' }),
  };
}
