/**
 * Docker indicator checks, without running anything inside the container: a file by a stat through the
 * archive API (`HEAD /containers/{id}/archive`), a hash by streaming the file out of the archive API through
 * SHA-256 (never buffered, refused past a size cap), a process by the daemon's `top` with a literal
 * substring match on the command line (no user regular expression: no ReDoS). Works on stopped containers
 * too, except processes (a stopped container has none).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { deepFreeze } from '../selector.js';
import type { IndicatorsRequest, IndicatorsResult } from '../types.js';
import { engine, engineFailure } from './client.js';
import { inspectPinned } from './inventory.js';
import { chunks, streamFailure } from './streams.js';
import { firstTarEntry } from './tar-file.js';
import { checkIndicators } from '../indicator-input.js';

/** The largest file `hash` streams through SHA-256 by default (1 GiB). */
export const DEFAULT_HASH_LIMIT_BYTES = 1024 * 1024 * 1024;
export { MAX_INDICATORS, MAX_PATH_LENGTH, MAX_PATTERN_LENGTH, checkIndicators } from '../indicator-input.js';
/** Symbolic links followed at most, from one path to the file it names. */
const MAX_LINKS = 8;

/** Go's os.FileMode bits, as the archive API's stat reports them. */
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;

/** What indicators needs besides the request. */
export interface IndicatorsContext {
  docker: Docker;
  hashLimitBytes: number;
}

function refuse(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, `indicators: ${message}`);
}

/** Looks for each indicator on the pinned container. */
export async function indicators(context: IndicatorsContext, request: IndicatorsRequest): Promise<IndicatorsResult> {
  const wanted = checkIndicators(request.indicators);
  const { target } = request;
  const info = await inspectPinned(context.docker, 'indicators', target);
  const running = info.State.Running && !info.State.Restarting;
  const result: IndicatorsResult = { targetId: target.id, findings: [] };
  let processes: string[] | undefined;
  for (const indicator of wanted) {
    if (indicator.kind === 'process') {
      if (!running) {
        result.findings.push({ indicator, present: false, detail: `container is ${info.State.Status}: no processes` });
        continue;
      }
      processes ??= await commandLines(context.docker, target.id);
      const found = processes.filter((line) => line.includes(indicator.pattern));
      result.findings.push(
        found.length === 0
          ? { indicator, present: false, detail: `no process command line contains the pattern (${processes.length} processes)` }
          : { indicator, present: true, detail: `${found.length} of ${processes.length} processes match` },
      );
      continue;
    }
    if (indicator.kind === 'file') {
      // The path itself: a link counts as present even when what it names is gone.
      const stat = await statPath(context.docker, target.id, indicator.path);
      const link = stat !== undefined && (stat.mode & MODE_SYMLINK) !== 0 && stat.linkTarget ? ` (a link to ${stat.linkTarget})` : '';
      result.findings.push(
        stat === undefined
          ? { indicator, present: false, detail: `${indicator.path} does not exist` }
          : { indicator, present: true, detail: `${indicator.path}${link} exists` },
      );
      continue;
    }
    const file = await resolve(context.docker, target.id, indicator.path);
    if (file === undefined) {
      result.findings.push({ indicator, present: false, detail: `${indicator.path} does not exist (or a link in it leads nowhere)` });
    } else if ((file.stat.mode & MODE_DIR) !== 0) {
      result.findings.push({ indicator, present: false, detail: `${describe(file)} is a directory, not a file` });
    } else {
      const sha256 = await hashFile(context, target.id, file);
      const present = sha256 === indicator.sha256;
      result.findings.push({ indicator, present, detail: `${describe(file)}: sha256 ${present ? 'matches' : `is ${sha256}`}` });
    }
  }
  return deepFreeze(result);
}

/** The archive API's stat of a path: name, size, mode (Go's FileMode) and the target of a link. */
interface PathStat {
  name: string;
  size: number;
  mode: number;
  linkTarget?: string;
}

interface Resolved {
  /** The path asked for, and the one it leads to through symbolic links. */
  path: string;
  real: string;
  stat: PathStat;
}

function describe(file: Resolved): string {
  return file.real === file.path ? file.path : `${file.path} (a link to ${file.real})`;
}

/** Stats a path, following symbolic links (relative ones against the link's folder); undefined when absent. */
async function resolve(docker: Docker, id: string, path: string): Promise<Resolved | undefined> {
  let real = path;
  for (let hop = 0; hop <= MAX_LINKS; hop++) {
    const stat = await statPath(docker, id, real);
    if (stat === undefined) return undefined;
    if ((stat.mode & MODE_SYMLINK) === 0 || !stat.linkTarget) return { path, real, stat };
    real = stat.linkTarget.startsWith('/') ? stat.linkTarget : `${real.slice(0, real.lastIndexOf('/') + 1)}${stat.linkTarget}`;
  }
  throw refuse(`${path}: more than ${MAX_LINKS} symbolic links`);
}

async function statPath(docker: Docker, id: string, path: string): Promise<PathStat | undefined> {
  let response: IncomingMessage;
  try {
    response = (await docker.getContainer(id).infoArchive({ path })) as IncomingMessage;
  } catch (error) {
    // The container was inspected just before: a 404 here is the path.
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw engineFailure(error, `docker: stat ${path} in ${id.slice(0, 12)}`);
  }
  response.resume();
  const header = response.headers['x-docker-container-path-stat'];
  if (typeof header !== 'string') throw new FirebreakError(ErrorCode.Transient, `docker: stat ${path}: the daemon gave no stat`);
  return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
}

/** Streams one file out of the container through SHA-256. */
async function hashFile(context: IndicatorsContext, id: string, file: Resolved): Promise<string> {
  const limit = context.hashLimitBytes;
  if (file.stat.size > limit) {
    throw refuse(`${describe(file)} is ${file.stat.size} bytes, over the ${limit}-byte limit for a hash indicator`);
  }
  const what = `docker: read ${file.real} from ${id.slice(0, 12)}`;
  const stream = (await engine(what, () => context.docker.getContainer(id).getArchive({ path: file.real }))) as Readable;
  let entry;
  try {
    entry = await firstTarEntry(chunks(stream), limit);
  } catch (error) {
    if (error instanceof RangeError) throw refuse(`${describe(file)}: ${error.message}`);
    throw streamFailure(error, what);
  }
  if (entry.type !== 'file') throw refuse(`${describe(file)} is a ${entry.type}, not a file`);
  return entry.sha256;
}

/** The command lines of the container's processes, from the daemon's `top` (`ps -ef` on the host). */
async function commandLines(docker: Docker, id: string): Promise<string[]> {
  const top = (await engine(`docker: top ${id.slice(0, 12)}`, () => docker.getContainer(id).top())) as {
    Titles?: string[];
    Processes?: string[][];
  };
  const column = (top.Titles ?? []).findIndex((title) => title === 'CMD' || title === 'COMMAND');
  if (column < 0) throw new FirebreakError(ErrorCode.Transient, 'docker: top gave no command column');
  return (top.Processes ?? []).map((row) => row[column] ?? '');
}
