/**
 * Command capture: the script writes each artefact to a file in a private directory made for this run
 * (named in the request) and lists them in its answer; each file is then streamed into the evidence sink
 * in one `write` (never read whole), and the directory is removed, whatever happened. The request is
 * checked before the script runs; an answer that lists another artefact, a file outside the directory, a
 * link or anything but a regular file is refused and nothing of it is stored.
 */
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isPlainFileName } from '../../actions/command/locate.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { deepFreeze } from '../selector.js';
import type { CaptureArtefact, CapturedArtefact, CaptureRequest, CaptureResult } from '../types.js';
import { CaptureResultSchema } from './results.js';
import { runOperation, type ScriptContext } from './run.js';

/** Every artefact kind of the port, in the order a command provider captures them (the most volatile first). */
export const COMMAND_ARTEFACTS: readonly CaptureArtefact[] = [
  'metadata',
  'processes',
  'logs',
  'diff',
  'filesystem',
  'image',
  'snapshot',
];
const STREAMING_EVERY = 8 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

/** The artefacts asked for, known, distinct and in capture order; anything else is refused naming it. */
function checkArtefacts(artefacts: readonly CaptureArtefact[]): CaptureArtefact[] {
  if (!Array.isArray(artefacts) || artefacts.length === 0) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `capture: name at least one artefact (${COMMAND_ARTEFACTS.join(', ')})`,
    );
  }
  const seen = new Set<string>();
  for (const [i, artefact] of artefacts.entries()) {
    if (typeof artefact !== 'string' || !(COMMAND_ARTEFACTS as readonly string[]).includes(artefact)) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `capture: artefacts[${i}] ${JSON.stringify(artefact)} is not an artefact kind (${COMMAND_ARTEFACTS.join(', ')})`,
      );
    }
    if (seen.has(artefact))
      throw new FirebreakError(ErrorCode.InvalidInput, `capture: artefacts[${i}] \`${artefact}\` is named twice`);
    seen.add(artefact);
  }
  return COMMAND_ARTEFACTS.filter((artefact) => seen.has(artefact));
}

/** A file the script wrote, checked: a plain name, a regular file (not a link) directly in `dir`. */
async function artefactFile(where: string, dir: string, file: string): Promise<string> {
  if (!isPlainFileName(file)) {
    throw new FirebreakError(
      ErrorCode.CommandFailed,
      `${where} answered a bad result: file ${JSON.stringify(file)} is not a file name in its directory`,
    );
  }
  const full = path.join(dir, file);
  const info = await lstat(full).catch(() => undefined);
  if (!info?.isFile()) {
    const what = info === undefined ? 'does not exist' : info.isSymbolicLink() ? 'is a link' : 'is not a regular file';
    throw new FirebreakError(
      ErrorCode.CommandFailed,
      `${where} answered a bad result: file ${JSON.stringify(file)} ${what}`,
    );
  }
  return full;
}

/** Reads a file in 1 MiB chunks, reporting the bytes read every 8 MiB. */
async function* fileChunks(file: string, onBytes: ((bytes: number) => void) | undefined): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  let reported = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK })) {
    yield chunk as Buffer;
    bytes += (chunk as Buffer).length;
    if (onBytes && bytes - reported >= STREAMING_EVERY) {
      reported = bytes;
      onBytes(bytes);
    }
  }
}

/** Checks the request, runs the capture script for what is not stored yet, streams each file to the sink. */
export async function captureWithScript(context: ScriptContext, request: CaptureRequest): Promise<CaptureResult> {
  const wanted = checkArtefacts(request.artefacts);
  const { target, resume, progress, streaming } = request;
  if (resume !== undefined && resume.targetId !== target.id) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `capture: the result to resume is for ${resume.targetId}, not ${target.id}`,
    );
  }
  const done = new Map((resume?.artefacts ?? []).map((stored) => [stored.artefact, stored]));
  const missing = wanted.filter((artefact) => !done.has(artefact));
  const result: CaptureResult = { targetId: target.id, artefacts: [] };
  const dir = missing.length === 0 ? undefined : await mkdtemp(path.join(tmpdir(), 'firebreak-capture-'));
  try {
    const files = new Map<string, { file: string; contentType: string }>();
    if (dir !== undefined) {
      const answer = await runOperation(context, 'capture', { target, artefacts: missing, dir }, CaptureResultSchema);
      const where = `${context.scripts.capture ?? 'capture'} (capture)`;
      for (const entry of answer.artefacts) {
        if (!missing.includes(entry.artefact as CaptureArtefact) || files.has(entry.artefact)) {
          throw new FirebreakError(
            ErrorCode.CommandFailed,
            `${where} answered a bad result: artefact ${JSON.stringify(entry.artefact)} was not asked for, or is listed twice`,
          );
        }
        files.set(entry.artefact, { file: await artefactFile(where, dir, entry.file), contentType: entry.contentType });
      }
      const absent = missing.filter((artefact) => !files.has(artefact));
      if (absent.length > 0) {
        throw new FirebreakError(
          ErrorCode.CommandFailed,
          `${where} answered a bad result: it did not capture ${absent.join(', ')}`,
        );
      }
    }
    const folder = target.name || target.id;
    for (const artefact of wanted) {
      const earlier = done.get(artefact);
      if (earlier !== undefined) {
        result.artefacts.push(structuredClone(earlier));
        continue;
      }
      const entry = files.get(artefact)!;
      try {
        result.artefacts.push(
          await store(request, `${folder}/${path.basename(entry.file)}`, artefact, entry, streaming),
        );
      } catch (error) {
        // Nothing partial is reported: the artefacts stored so far go with the error, for a retry to resume.
        const failure =
          error instanceof FirebreakError
            ? error
            : new FirebreakError(
                ErrorCode.Transient,
                `capture ${artefact}: the evidence sink failed (${error instanceof Error ? error.message : String(error)})`,
              );
        throw new FirebreakError(failure.code, failure.message, { result: structuredClone(result) });
      }
      progress?.(structuredClone(result));
    }
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
  return deepFreeze(result);
}

async function store(
  request: CaptureRequest,
  name: string,
  artefact: CaptureArtefact,
  entry: { file: string; contentType: string },
  streaming: CaptureRequest['streaming'],
): Promise<CapturedArtefact> {
  const { size } = await lstat(entry.file);
  const onBytes = streaming && ((bytes: number) => streaming({ artefact, bytes }));
  const written = await request.sink.write(name, fileChunks(entry.file, onBytes), { contentType: entry.contentType });
  if (written.size !== size) {
    throw new FirebreakError(
      ErrorCode.Transient,
      `capture ${artefact}: the evidence sink stored ${written.size} bytes of ${size}; not counted`,
    );
  }
  return { artefact, location: written.location, size: written.size, sha256: written.sha256 };
}
