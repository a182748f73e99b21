/**
 * The audit log of the API: one JSON line for every write request (POST, PATCH, DELETE) and every read of
 * incident data (routes registered with `config: { auditRead: true }`), whatever its outcome, refused and
 * unauthenticated ones included. A line names who, which route and which incident, never what was read.
 * It is written before the answer is sent, so a client that saw an answer can find its line. The incident
 * timeline separately records who did what in the run.
 */
import { mkdir, open as fsOpen, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../logging/logger.js';
import type { ScheduleChanges } from '../schedules/schema.js';
import { requestSource, type ActorSource } from './auth.js';

/** One audited request (a write, or a read of incident data) as the audit log records it. */
export interface AuditEntry {
  at: string;
  /** The authenticated user's id, or null when the request was not authenticated. */
  user: string | null;
  source: ActorSource;
  method: string;
  path: string;
  status: number;
  incidentId?: string;
  scheduleId?: string;
  /** The post-mortem a `/postmortems/{id}` request named, or the one of the action item it named. */
  postmortemId?: string;
  /** The action item an `/action-items/{id}` request named. */
  actionItemId?: string;
  outcome: 'ok' | 'refused' | 'error';
  /** The error code of a refused or failed request. */
  code?: string;
  /** What an update changed, by field: `{ "cron": { "from": "0 2 * * *", "to": "30 4 * * *" } }`. */
  changes?: ScheduleChanges;
  /** Set when the incident exists but the user may not read it (the answer was a 404 all the same). */
  denied?: true;
}

/** Where audit entries go. */
export interface AuditLog {
  write(entry: AuditEntry): Promise<void>;
}

/** An audit log kept in memory, for tests. */
export interface MemoryAuditLog extends AuditLog {
  readonly entries: AuditEntry[];
}

/** What a handler adds to the audit entry of its request. */
export interface AuditNote {
  incidentId?: string;
  scheduleId?: string;
  /** The post-mortem of an action item (routes under `/action-items/{id}`). */
  postmortemId?: string;
  code?: string;
  /** What an update changed (schedule updates). */
  changes?: ScheduleChanges;
  /** Overrides the source taken from the request (webhook receivers set `webhook`). */
  source?: ActorSource;
  /** The incident exists but the user may not read it. */
  denied?: true;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Details for this request's audit entry, filled in by handlers and the error handler. */
    auditNote: AuditNote;
  }
  interface FastifyContextConfig {
    /** Audit this read route like a write: it reads incident data. */
    auditRead?: boolean;
  }
}

/** An audit log appending JSON lines to a file (directories created, file mode 0600). */
export function createFileAuditLog(file: string): AuditLog & { close(): Promise<void> } {
  let handle: Promise<FileHandle> | undefined;
  const open = async (): Promise<FileHandle> => {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const opened = await fsOpen(file, 'a', 0o600);
    // an existing file keeps its mode on open: narrow it once
    await opened.chmod(0o600);
    return opened;
  };
  return {
    async write(entry) {
      handle ??= open().catch((error: unknown) => {
        handle = undefined;
        throw error;
      });
      // One write per line on a file opened for appending (O_APPEND): concurrent lines stay whole, and
      // the file is opened once rather than per request.
      await (await handle).write(`${JSON.stringify(entry)}\n`);
    },
    async close() {
      const opened = handle;
      handle = undefined;
      if (opened) await (await opened).close();
    },
  };
}

/** An audit log that keeps its entries in memory. */
export function createMemoryAuditLog(): MemoryAuditLog {
  const entries: AuditEntry[] = [];
  return {
    entries,
    write(entry) {
      entries.push(entry);
      return Promise.resolve();
    },
  };
}

/** The methods that write, and so are audited. */
const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Adds the hooks that write an audit entry for every write request and every audited read the app answers. */
export function registerAudit(app: FastifyInstance, audit: AuditLog, logger: Logger, now: () => Date): void {
  app.decorateRequest('auditNote', null as unknown as AuditNote);
  app.addHook('onRequest', (request, _reply, done) => {
    request.auditNote = {};
    done();
  });
  app.addHook('onSend', async (request, reply) => {
    if (!WRITE_METHODS.has(request.method) && request.routeOptions.config?.auditRead !== true) return;
    const entry = auditEntry(request, reply, now());
    try {
      await audit.write(entry);
    } catch (error) {
      // The command has already taken effect; failing the answer would invite a retry of it.
      logger.error({ err: error, audit: entry }, 'audit log write failed');
    }
  });
}

function auditEntry(request: FastifyRequest, reply: FastifyReply, at: Date): AuditEntry {
  const note = request.auditNote ?? {};
  const status = reply.statusCode;
  const incidentId = note.incidentId ?? routeId(request, '/incidents/:id');
  const scheduleId = note.scheduleId ?? routeId(request, '/schedules/:id');
  const postmortemId = note.postmortemId ?? routeId(request, '/postmortems/:id');
  const actionItemId = routeId(request, '/action-items/:id');
  return {
    at: at.toISOString(),
    user: request.user?.id ?? null,
    source: note.source ?? requestSource(request),
    method: request.method,
    path: request.url.split('?')[0] ?? request.url,
    status,
    ...(incidentId === undefined ? {} : { incidentId }),
    ...(scheduleId === undefined ? {} : { scheduleId }),
    ...(postmortemId === undefined ? {} : { postmortemId }),
    ...(actionItemId === undefined ? {} : { actionItemId }),
    outcome: status >= 500 ? 'error' : status >= 400 ? 'refused' : 'ok',
    ...(note.code === undefined ? {} : { code: note.code }),
    ...(note.changes === undefined ? {} : { changes: note.changes }),
    ...(note.denied === undefined ? {} : { denied: note.denied }),
  };
}

/** The `:id` of a route under `prefix` (`/incidents/:id`), when the request matched one. */
function routeId(request: FastifyRequest, prefix: string): string | undefined {
  const params = request.params as Record<string, unknown> | undefined;
  const id = params?.id;
  return typeof id === 'string' && request.routeOptions.url?.includes(prefix) ? id : undefined;
}
