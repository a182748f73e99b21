/**
 * A small typed client for the Firebreak HTTP API (`/api/v1`), one method per endpoint, over global fetch.
 * Every failure becomes a `CliError` worded for a person with the exit code of its class.
 */
import type { z } from 'zod';
import type { FactInput, Vote } from '../../domain/state.js';
import type { JsonValue } from '../../domain/plan.js';
import { CliError } from '../context.js';
import { httpError, unreachableError } from './errors.js';
import { EXIT } from './exit-codes.js';
import {
  CommandResponse,
  DraftedPostmortem,
  IncidentList,
  IncidentResponse,
  MessageResponse,
  PendingMessageList,
  RunbookList,
  ScheduleList,
  ScheduleResponse,
  ScheduleUpdateResponse,
  TriggerResponse,
} from './schemas.js';

/** How long a request may take before the CLI gives up, unless the caller says otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Where the API is and how to sign in. */
export interface ApiClientOptions {
  /** The server's base URL, without `/api/v1` (`http://127.0.0.1:8080`). */
  baseUrl: string;
  token: string;
  timeoutMs?: number;
}

/** The body of `POST /incidents`. */
export interface TriggerRequest {
  runbook: string;
  params?: Record<string, JsonValue>;
  severity?: string;
  dedupKey?: string;
}

/** The filters of `GET /incidents`; each is left out of the query when undefined. */
export interface IncidentFilter {
  status?: string;
  runbook?: string;
  severity?: string;
  /** incident (the server's default), job or all. */
  kind?: string;
  limit?: string;
}

/** The body of `POST /incidents/{id}/tasks/{stepId}/complete`. */
export interface CompleteTaskRequest {
  facts?: Record<string, FactInput>;
  note?: string;
}

/** The body of `POST /incidents/{id}/facts`. */
export interface SetFactRequest {
  name: string;
  value: JsonValue;
  confirmed?: boolean;
}

/** The body of `POST /incidents/{id}/decisions`. */
export interface DecisionRequest {
  decision: string;
  option?: string;
}

/** The body of `POST /incidents/{id}/approvals/{stepId}`. */
export interface VoteRequest {
  vote: Vote;
  comment?: string;
  /** When given, the vote is refused unless the approval's text still has this hash. */
  textHash?: string;
}

/** The body of `POST /incidents/{id}/messages/{stepId}/votes`. */
export interface MessageVoteRequest {
  vote: Vote;
  /** The fingerprint of the message voted on; required to approve. */
  fingerprint?: string;
  comment?: string;
}

/** The body of `POST /schedules`. */
export interface CreateScheduleRequest {
  runbook: string;
  cron: string;
  params?: Record<string, JsonValue>;
  severity?: string;
  timezone?: string;
  id?: string;
  note?: string;
  allowDuplicate?: boolean;
}

/** The body of `PATCH /schedules/{id}`: fields left out stay as they are. */
export interface UpdateScheduleRequest {
  cron?: string;
  /** null goes back to UTC. */
  timezone?: string | null;
  /** Set or replace these params; the others are kept. */
  params?: Record<string, JsonValue>;
  /** Remove these params (the runbook default then applies). */
  unsetParams?: string[];
  /** null goes back to the runbook's severity. */
  severity?: string | null;
  note?: string;
}

const FILTERS = ['status', 'runbook', 'severity', 'kind', 'limit'] as const satisfies readonly (keyof IncidentFilter)[];

/** The HTTP methods the API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The Firebreak API, as the CLI uses it; every request says it comes from the CLI. */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Starts an incident, or finds the open one with the same dedup key. */
  trigger(body: TriggerRequest): Promise<TriggerResponse> {
    return this.request('POST', '/incidents', TriggerResponse, body);
  }

  /** Lists incidents, newest first, filtered. */
  listIncidents(filter: IncidentFilter = {}): Promise<IncidentList> {
    const query = new URLSearchParams();
    for (const key of FILTERS) {
      const value = filter[key];
      if (value !== undefined) query.set(key, value);
    }
    const text = query.toString();
    return this.request('GET', text === '' ? '/incidents' : `/incidents?${text}`, IncidentList);
  }

  /** The whole state of one incident. */
  getIncident(incidentId: string): Promise<IncidentResponse> {
    return this.request('GET', `/incidents/${segment(incidentId)}`, IncidentResponse);
  }

  /** Asks the run to stop; compensations do not run. */
  cancelIncident(incidentId: string, body: { reason?: string }): Promise<CommandResponse> {
    return this.request('POST', `/incidents/${segment(incidentId)}/cancel`, CommandResponse, body);
  }

  /** Completes a waiting task step, with the facts it establishes. */
  completeTask(incidentId: string, step: string, body: CompleteTaskRequest): Promise<CommandResponse> {
    const path = `/incidents/${segment(incidentId)}/tasks/${segment(step)}/complete`;
    return this.request('POST', path, CommandResponse, body);
  }

  /** Sets one fact, confirmed unless said otherwise. */
  setFact(incidentId: string, body: SetFactRequest): Promise<CommandResponse> {
    return this.request('POST', `/incidents/${segment(incidentId)}/facts`, CommandResponse, body);
  }

  /** Records a decision (with its option, when it has options). */
  recordDecision(incidentId: string, body: DecisionRequest): Promise<CommandResponse> {
    return this.request('POST', `/incidents/${segment(incidentId)}/decisions`, CommandResponse, body);
  }

  /** Casts a vote on a pending approval. */
  vote(incidentId: string, step: string, body: VoteRequest): Promise<CommandResponse> {
    return this.request('POST', `/incidents/${segment(incidentId)}/approvals/${segment(step)}`, CommandResponse, body);
  }

  /** Messages awaiting approval across running incidents, or in one incident. */
  pendingMessages(incidentId?: string): Promise<PendingMessageList> {
    const query = incidentId === undefined ? '' : `?${new URLSearchParams({ incident: incidentId }).toString()}`;
    return this.request('GET', `/messages/pending${query}`, PendingMessageList);
  }

  /** One notify step's message: rendered parts, fingerprint, votes and deliveries. */
  getMessage(incidentId: string, step: string): Promise<MessageResponse> {
    return this.request('GET', `/incidents/${segment(incidentId)}/messages/${segment(step)}`, MessageResponse);
  }

  /** Votes on a message; an approval names the fingerprint of the message approved. */
  voteOnMessage(incidentId: string, step: string, body: MessageVoteRequest): Promise<CommandResponse> {
    const path = `/incidents/${segment(incidentId)}/messages/${segment(step)}/votes`;
    return this.request('POST', path, CommandResponse, body);
  }

  /** The runbooks the server can start. */
  listRunbooks(): Promise<RunbookList> {
    return this.request('GET', '/runbooks', RunbookList);
  }

  /** Schedules a runbook; the server checks the params and the cron expression first. */
  createSchedule(body: CreateScheduleRequest): Promise<ScheduleResponse> {
    return this.request('POST', '/schedules', ScheduleResponse, body);
  }

  /** Every schedule, with its next run and last run. */
  listSchedules(): Promise<ScheduleList> {
    return this.request('GET', '/schedules', ScheduleList);
  }

  /** One schedule: timing, state, next runs, recent runs and their incidents. */
  getSchedule(scheduleId: string): Promise<ScheduleResponse> {
    return this.request('GET', `/schedules/${segment(scheduleId)}`, ScheduleResponse);
  }

  /** Changes a schedule in place; the server checks the merged values as at creation. */
  updateSchedule(scheduleId: string, body: UpdateScheduleRequest): Promise<ScheduleUpdateResponse> {
    return this.request('PATCH', `/schedules/${segment(scheduleId)}`, ScheduleUpdateResponse, body);
  }

  /** Pauses or resumes a schedule, with a note saying why. */
  setSchedulePaused(scheduleId: string, paused: boolean, body: { note?: string }): Promise<CommandResponse> {
    const path = `/schedules/${segment(scheduleId)}/${paused ? 'pause' : 'resume'}`;
    return this.request('POST', path, CommandResponse, body);
  }

  /** Takes a run of a schedule now. */
  triggerSchedule(scheduleId: string): Promise<CommandResponse> {
    return this.request('POST', `/schedules/${segment(scheduleId)}/trigger`, CommandResponse, {});
  }

  /** Deletes a schedule. */
  deleteSchedule(scheduleId: string): Promise<CommandResponse> {
    return this.request('DELETE', `/schedules/${segment(scheduleId)}`, CommandResponse);
  }

  /** Sends a request under `/api/v1` and checks the JSON answer against `schema` (for the API modules in this folder). */
  async request<T>(method: Method, path: string, schema: z.ZodType<T>, body?: object): Promise<T> {
    const { json } = await this.send(method, path, body, 'application/json');
    return this.parse(method, path, schema, json);
  }

  /** Drafts a closed incident's post-mortem, or finds the one it has (`created: false`). */
  async draftPostmortem(incidentId: string): Promise<{ created: boolean; postmortem: DraftedPostmortem }> {
    const path = `/incidents/${segment(incidentId)}/postmortem`;
    const { status, json } = await this.send('POST', path, {}, 'application/json');
    return { created: status === 201, postmortem: this.parse('POST', path, DraftedPostmortem, json) };
  }

  /** Checks an answer read as text (`getText`) against `schema`, as every JSON answer is checked. */
  check<T>(method: Method, path: string, schema: z.ZodType<T>, json: unknown): T {
    return this.parse(method, path, schema, json);
  }

  /** Checks an answer against `schema`: a mismatch means the CLI and server differ. */
  private parse<T>(method: Method, path: string, schema: z.ZodType<T>, json: unknown): T {
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues[0]?.path.join('.') || 'body';
      throw new CliError(
        `unexpected answer from Firebreak at ${this.baseUrl} to ${method} ${path} (at ${where}); are the CLI and server the same version?`,
        EXIT.failure,
      );
    }
    return parsed.data;
  }

  /** A GET whose answer is a document (an export), returned as text; a refusal is the usual `CliError`. */
  async getText(path: string): Promise<string> {
    return (await this.send('GET', path, undefined, '*/*')).text;
  }

  /** Sends a request; a non-2xx answer is thrown as a `CliError`. */
  private async send(
    method: Method,
    path: string,
    body: object | undefined,
    accept: string,
  ): Promise<{ status: number; json: unknown; text: string }> {
    const headers: Record<string, string> = {
      accept,
      authorization: `Bearer ${this.token}`,
      'x-firebreak-client': 'cli',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      // The timeout covers reading the body too: a server that stalls mid-answer is as unreachable.
      text = await response.text();
    } catch (error) {
      throw unreachableError(error, this.baseUrl, this.timeoutMs);
    }
    const json = parseJson(text);
    if (status < 200 || status > 299) throw httpError(status, json, retryAfter);
    return { status, json, text };
  }
}

/** A value as one path segment. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
