/**
 * The connection to one Docker Engine: its unix socket, or TCP with TLS whose CA, certificate and key are
 * secret references resolved at each use (never kept, never logged), and the mapping of the Engine API's
 * failures to error codes with their retry semantics.
 */
import Docker from 'dockerode';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { SecretResolver } from '../../secrets/resolver.js';

/** Where the daemon is and how to reach it. */
export interface DockerConnection {
  /** `unix:///var/run/docker.sock` or `tcp://host:port`. */
  host: string;
  /** Required with `tcp://`: secret references (`env:NAME`, `file:PATH`) to PEM text. */
  tls?: { ca: string; cert: string; key: string };
  /** The longest one Engine API request may take. */
  timeoutMs: number;
}

/** The default daemon: the local socket. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** Opens a client for one operation; TLS material is read from its references now, not at start-up. */
export async function openDocker(connection: DockerConnection, secrets: SecretResolver): Promise<Docker> {
  const { host, timeoutMs } = connection;
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length), timeout: timeoutMs });
  const url = new URL(host);
  if (connection.tls === undefined) {
    throw new FirebreakError(ErrorCode.InvalidInput, 'docker over tcp:// needs tls (ca, cert, key)');
  }
  const [ca, cert, key] = await Promise.all([
    secrets.resolve(connection.tls.ca),
    secrets.resolve(connection.tls.cert),
    secrets.resolve(connection.tls.key),
  ]);
  return new Docker({ protocol: 'https', host: url.hostname, port: url.port || '2376', ca, cert, key, timeout: timeoutMs });
}

/** An Engine API failure as dockerode gives it. */
interface EngineError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

/** The daemon's own words for a failure, without the request dockerode prefixes (which names nothing secret). */
function engineMessage(error: EngineError): string {
  const message = error.json?.message ?? error.reason ?? error.message ?? 'unknown error';
  return message.replace(/^\(HTTP code \d+\)\s*/, '').trim();
}

/**
 * Maps a failure to a FirebreakError: the daemon unreachable or failing (no status, 5xx) is TRANSIENT;
 * 404 is NOT_FOUND; other 4xx (a refusal: bad parameter, conflict) are INVALID_INPUT. FirebreakErrors pass.
 */
export function engineFailure(error: unknown, what: string): FirebreakError {
  if (error instanceof FirebreakError) return error;
  const failure = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as EngineError;
  const status = failure.statusCode;
  if (status === undefined) {
    const reason = failure.code ?? engineMessage(failure);
    return new FirebreakError(ErrorCode.Transient, `${what}: the Docker daemon is unreachable (${reason})`);
  }
  const message = `${what}: ${engineMessage(failure)} (HTTP ${status})`;
  if (status === 404) return new FirebreakError(ErrorCode.NotFound, message);
  if (status >= 400 && status < 500) return new FirebreakError(ErrorCode.InvalidInput, message);
  return new FirebreakError(ErrorCode.Transient, message);
}

/** Runs one Engine API call, mapping its failure. */
export async function engine<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw engineFailure(error, what);
  }
}
