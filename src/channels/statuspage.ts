/**
 * The status-page channel: publishes a rendered Markdown update to the blob store, keeping each incident's
 * history in `<prefix>/incidents/<id>/updates.json`, and re-renders the static pages (`index.html` per
 * incident and overall) and the JSON feed that the API serves at `/status`.
 */
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { deliveryId } from './delivery.js';
import {
  renderFeed,
  renderIncidentPage,
  renderIndexPage,
  type PageOptions,
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
  /** Injectable clock for the update time. */
  now?: () => Date;
}

/** Incident ids the status page accepts, in keys and in paths: the API's incident id characters. */
export const STATUS_INCIDENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** The largest Markdown update accepted, in UTF-8 bytes. */
export const MAX_UPDATE_BYTES = 64 * 1024;

const HTML = 'text/html; charset=utf-8';
const FEED = 'application/feed+json; charset=utf-8';

const StatusUpdateSchema = z.object({
  id: z.string(),
  at: z.string(),
  incidentId: z.string(),
  stepId: z.string(),
  fingerprint: z.string(),
  markdown: z.string(),
});
const UpdatesFile = z.object({ version: z.literal(1), incidentId: z.string(), updates: z.array(StatusUpdateSchema) });
type UpdatesFile = z.infer<typeof UpdatesFile>;

/** The blob keys of the status page under `prefix`. */
export function statusPageKeys(prefix = 'status') {
  const base = prefix.replace(/\/+$/, '');
  return {
    index: `${base}/index.html`,
    feed: `${base}/feed.json`,
    incidents: `${base}/incidents/`,
    incidentPage: (incidentId: string) => `${base}/incidents/${incidentId}/index.html`,
    updates: (incidentId: string) => `${base}/incidents/${incidentId}/updates.json`,
  };
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

  async function readUpdates(incidentId: string): Promise<UpdatesFile> {
    const key = keys.updates(incidentId);
    if ((await store.head(key)) === undefined) return { version: 1, incidentId, updates: [] };
    const parsed = UpdatesFile.safeParse(JSON.parse((await readBlob(store, key)).toString('utf8')));
    if (!parsed.success) throw new FirebreakError(ErrorCode.Conflict, `${key} is not a status-page update history`);
    return parsed.data;
  }

  async function publishIncident(update: StatusUpdate): Promise<void> {
    const file = await readUpdates(update.incidentId);
    // A retried send (same idempotency key) finds its update already there: only the pages are redone,
    // which also repairs pages left stale by a crash between the two writes.
    if (!file.updates.some((existing) => existing.id === update.id)) {
      file.updates.push(update);
      await putText(
        keys.updates(update.incidentId),
        `${JSON.stringify(file, null, 2)}\n`,
        'application/json; charset=utf-8',
      );
    }
    await putText(
      keys.incidentPage(update.incidentId),
      renderIncidentPage(update.incidentId, file.updates, pages),
      HTML,
    );
  }

  async function publishOverview(): Promise<void> {
    const incidents = new Map<string, StatusUpdate[]>();
    for await (const entry of store.list(keys.incidents)) {
      if (!entry.key.endsWith('/updates.json')) continue;
      const incidentId = entry.key.slice(keys.incidents.length, -'/updates.json'.length);
      if (STATUS_INCIDENT_ID.test(incidentId)) incidents.set(incidentId, (await readUpdates(incidentId)).updates);
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
      await serialized(`incident:${update.incidentId}`, () => publishIncident(update));
      await serialized('overview', publishOverview);
      const recipient = keys.incidentPage(update.incidentId);
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
  return {
    id: deliveryId(message.idempotencyKey),
    at: at.toISOString(),
    incidentId: message.incidentId,
    stepId: message.stepId,
    fingerprint: message.fingerprint,
    markdown,
  };
}
