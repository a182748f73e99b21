/**
 * The status-page channel: publishes a rendered Markdown update to the blob store, keeping each incident's
 * history privately in `<prefix>-history/<sha256(incident id)>.json`, and re-renders the static pages
 * (`index.html` per incident and overall) and the JSON feed that the API serves at `/status`. The public
 * blobs name an incident only by a random public id, drawn at its first update and kept in its history.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { deliveryId } from './delivery.js';
import {
  renderFeed,
  renderIncidentPage,
  renderIndexPage,
  type IncidentState,
  type PageOptions,
  type PublicUpdate,
  type StatusUpdate,
} from './statuspage-render.js';
import type { Channel, DeliveryReceipt, OutboundMessage } from './types.js';

/** Options for `createStatusPageChannel`. */
export interface StatusPageChannelOptions {
  store: BlobStore;
  /** Key prefix of every blob the channel writes (default `status`). */
  prefix?: string;
  /** The page title (default `Status`). */
  title?: string;
  /** Where the API serves the pages (default `/status`), for links between them. */
  basePath?: string;
  /** Absolute public URL of the pages, for the feed's `home_page_url`, `feed_url` and item URLs. */
  siteUrl?: string;
  /** IANA time zone the pages show times in (default `UTC`). */
  timeZone?: string;
  /** Injectable clock for the update time. */
  now?: () => Date;
}

/** Incident ids the status page accepts, in keys and in paths: the API's incident id characters. */
export const STATUS_INCIDENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** The largest Markdown update accepted, in UTF-8 bytes. */
export const MAX_UPDATE_BYTES = 64 * 1024;

const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const FEED = 'application/feed+json; charset=utf-8';

const StatusUpdateSchema = z.object({
  id: z.string(),
  at: z.string(),
  incidentId: z.string(),
  stepId: z.string(),
  fingerprint: z.string(),
  markdown: z.string(),
  state: z.enum(['open', 'resolved']).optional(),
});
/** The public history an earlier version kept at `<prefix>/incidents/<incident id>/updates.json`. */
const LegacyUpdatesFile = z.object({
  version: z.literal(1),
  incidentId: z.string(),
  updates: z.array(StatusUpdateSchema),
});
/** An incident's private history: its public id and every update, in publication order. */
const HistoryFile = z.object({
  version: z.literal(2),
  incidentId: z.string(),
  publicId: z.string().regex(STATUS_INCIDENT_ID),
  updates: z.array(StatusUpdateSchema),
});
type HistoryFile = z.infer<typeof HistoryFile>;

/**
 * The blob keys of the status page under `prefix`. Only `index`, `feed` and `incidentPage` are public;
 * histories live beside the prefix (`<prefix>-history/`), so publishing the prefix publishes no incident id.
 */
export function statusPageKeys(prefix = 'status') {
  const base = prefix.replace(/\/+$/, '');
  const historyBase = `${base}-history/`;
  return {
    index: `${base}/index.html`,
    feed: `${base}/feed.json`,
    incidents: `${base}/incidents/`,
    incidentPage: (publicId: string) => `${base}/incidents/${publicId}/index.html`,
    histories: historyBase,
    history: (incidentId: string) => `${historyBase}${createHash('sha256').update(incidentId).digest('hex')}.json`,
    legacyUpdates: (incidentId: string) => `${base}/incidents/${incidentId}/updates.json`,
  };
}

/** A new public id: 128 random bits, so a page's address says nothing about the incident. */
function newPublicId(): string {
  return randomBytes(16).toString('hex');
}

/** Reads a whole blob into memory; the status page's blobs are small. */
export async function readBlob(store: BlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Creates the status-page channel. `to` is ignored: the page is public, so it has one "recipient". */
export function createStatusPageChannel(options: StatusPageChannelOptions): Channel {
  const { store } = options;
  const keys = statusPageKeys(options.prefix);
  const now = options.now ?? (() => new Date());
  const pages: PageOptions = {
    title: options.title ?? 'Status',
    basePath: options.basePath ?? '/status',
    ...(options.siteUrl === undefined ? {} : { siteUrl: options.siteUrl }),
    ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
  };
  // One chain per incident serializes read-modify-write of its updates.json within this process, so two
  // concurrent sends both land; the overview pages have one chain of their own, each run reading afresh.
  const chains = new Map<string, Promise<unknown>>();

  function serialized<T>(lane: string, task: () => Promise<T>): Promise<T> {
    const previous = chains.get(lane) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    chains.set(lane, settled);
    void settled.then(() => {
      if (chains.get(lane) === settled) chains.delete(lane);
    });
    return run;
  }

  async function readJson(key: string): Promise<unknown> {
    if ((await store.head(key)) === undefined) return undefined;
    return JSON.parse((await readBlob(store, key)).toString('utf8')) as unknown;
  }

  /** The incident's private history, taking over a legacy public one (and its page) the first time. */
  async function readHistory(incidentId: string): Promise<HistoryFile> {
    const key = keys.history(incidentId);
    const raw = await readJson(key);
    if (raw !== undefined) {
      const parsed = HistoryFile.safeParse(raw);
      if (!parsed.success) throw new FirebreakError(ErrorCode.Conflict, `${key} is not a status-page history`);
      return parsed.data;
    }
    const history: HistoryFile = { version: 2, incidentId, publicId: newPublicId(), updates: [] };
    const legacy = await readLegacy(incidentId);
    if (legacy === undefined) return history;
    history.updates.push(...legacy.updates);
    await migrateLegacy(history);
    return history;
  }

  async function readLegacy(incidentId: string) {
    const key = keys.legacyUpdates(incidentId);
    const raw = await readJson(key);
    if (raw === undefined) return undefined;
    const parsed = LegacyUpdatesFile.safeParse(raw);
    if (!parsed.success) throw new FirebreakError(ErrorCode.Conflict, `${key} is not a status-page update history`);
    return parsed.data;
  }

  /**
   * Moves a history an earlier version published under the incident id: the history becomes private, the
   * incident gets a public page under its public id, and the old page stays readable at its old address
   * but is re-rendered without the incident id. The public updates.json goes last, once all else is written.
   */
  async function migrateLegacy(history: HistoryFile): Promise<void> {
    await putHistory(history);
    await putText(keys.incidentPage(history.publicId), renderIncidentPage(history.updates, pages), HTML);
    await putText(keys.incidentPage(history.incidentId), renderIncidentPage(history.updates, pages), HTML);
    await store.delete(keys.legacyUpdates(history.incidentId));
  }

  async function putHistory(history: HistoryFile): Promise<void> {
    await putText(keys.history(history.incidentId), `${JSON.stringify(history, null, 2)}\n`, JSON_TYPE);
  }

  async function publishIncident(update: StatusUpdate): Promise<string> {
    const history = await readHistory(update.incidentId);
    // A retried send (same idempotency key) finds its update already there: only the pages are redone,
    // which also repairs pages left stale by a crash between the two writes.
    if (!history.updates.some((existing) => existing.id === update.id)) {
      history.updates.push(update);
      await putHistory(history);
    }
    await putText(keys.incidentPage(history.publicId), renderIncidentPage(history.updates, pages), HTML);
    return history.publicId;
  }

  async function publishOverview(): Promise<void> {
    // Legacy public histories first: each is taken over on its incident's chain, like a send would.
    for await (const entry of store.list(keys.incidents)) {
      if (!entry.key.endsWith('/updates.json')) continue;
      const incidentId = entry.key.slice(keys.incidents.length, -'/updates.json'.length);
      if (STATUS_INCIDENT_ID.test(incidentId))
        await serialized(`incident:${incidentId}`, () => readHistory(incidentId));
    }
    const incidents = new Map<string, PublicUpdate[]>();
    for await (const entry of store.list(keys.histories)) {
      if (!entry.key.endsWith('.json')) continue;
      const parsed = HistoryFile.safeParse(await readJson(entry.key));
      if (parsed.success) incidents.set(parsed.data.publicId, parsed.data.updates);
    }
    await putText(keys.index, renderIndexPage(incidents, pages), HTML);
    await putText(keys.feed, renderFeed(incidents, pages), FEED);
  }

  async function putText(key: string, text: string, contentType: string): Promise<void> {
    await store.put(key, Buffer.from(text, 'utf8'), { contentType });
  }

  return {
    name: 'statuspage',
    async send(message: OutboundMessage): Promise<DeliveryReceipt> {
      const update = toUpdate(message, now());
      const publicId = await serialized(`incident:${update.incidentId}`, () => publishIncident(update));
      await serialized('overview', publishOverview);
      const recipient = keys.incidentPage(publicId);
      return {
        channel: 'statuspage',
        accepted: [recipient],
        messageId: update.id,
        deliveries: [{ recipient, messageId: update.id }],
      };
    },
  };
}

/** Checks a message and turns it into the update it publishes. */
function toUpdate(message: OutboundMessage, at: Date): StatusUpdate {
  if (!STATUS_INCIDENT_ID.test(message.incidentId)) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `status page: ${JSON.stringify(message.incidentId)} is not an incident id`,
    );
  }
  const markdown = message.parts['md'];
  if (markdown === undefined || markdown.trim() === '') {
    throw new FirebreakError(ErrorCode.InvalidInput, 'status page message has no "md" part');
  }
  if (Buffer.byteLength(markdown, 'utf8') > MAX_UPDATE_BYTES) {
    throw new FirebreakError(ErrorCode.InvalidInput, `status page update is over ${MAX_UPDATE_BYTES} bytes`);
  }
  // The page is public and an incident id names its runbook: a template that slipped it in is refused.
  if (markdown.includes(message.incidentId)) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      'status page update contains the incident id; the page is public: leave incident.id out of statuspage templates',
    );
  }
  const state = stateOf(message.parts['state']);
  return {
    id: deliveryId(message.idempotencyKey),
    at: at.toISOString(),
    incidentId: message.incidentId,
    stepId: message.stepId,
    fingerprint: message.fingerprint,
    markdown,
    ...(state === undefined ? {} : { state }),
  };
}

/** The approved `state` part: `open` or `resolved` (surrounding whitespace ignored), or none. */
function stateOf(part: string | undefined): IncidentState | undefined {
  if (part === undefined) return undefined;
  const state = part.trim();
  if (state === 'open' || state === 'resolved') return state;
  throw new FirebreakError(
    ErrorCode.InvalidInput,
    `status page "state" part is ${JSON.stringify(state.slice(0, 40))}; expected open or resolved`,
  );
}
