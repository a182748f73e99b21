/**
 * Webhook request bodies: the rendered `json` part sent byte for byte (format `json`), or a Slack-compatible
 * `{ text, blocks }` built from the rendered `text` part (format `slack`).
 */
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { OutboundMessage } from './types.js';

/** How an endpoint wants the message. */
export type WebhookFormat = 'json' | 'slack';

/** A Slack Block Kit block as this channel emits it. */
export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } };

/** The Slack incoming-webhook payload. */
export interface SlackPayload {
  text: string;
  blocks?: SlackBlock[];
}

// Slack's limits: section text 3,000 characters, header 150, 50 blocks per message.
const SECTION_LIMIT = 3000;
const HEADER_LIMIT = 150;
const MAX_BLOCKS = 50;

function invalid(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, message);
}

/** Splits text into chunks of at most `limit` characters, preferring paragraph and line breaks. */
function chunk(text: string, limit: number): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    const cut = Math.max(window.lastIndexOf('\n\n'), window.lastIndexOf('\n'));
    const at = cut > limit / 2 ? cut : limit;
    chunks.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n+/, '');
  }
  if (rest !== '') chunks.push(rest);
  return chunks;
}

/** Builds the Slack payload: `text` as the notification fallback, sections (and a header from `subject`). */
export function slackPayload(text: string, subject?: string): SlackPayload {
  const blocks: SlackBlock[] = [];
  if (subject !== undefined && subject !== '') {
    blocks.push({ type: 'header', text: { type: 'plain_text', text: subject.slice(0, HEADER_LIMIT) } });
  }
  for (const part of chunk(text, SECTION_LIMIT)) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: part } });
  // Beyond Slack's block limit the blocks would be refused; the full text still goes out as `text`.
  return blocks.length <= MAX_BLOCKS ? { text, blocks } : { text };
}

/** The request body for an endpoint of `format`; the `json` part must be valid JSON and is not re-encoded. */
export function webhookBody(format: WebhookFormat, message: OutboundMessage): string {
  if (format === 'slack') {
    const text = message.parts.text;
    if (text === undefined || text === '') throw invalid('a slack webhook message needs a text part');
    return JSON.stringify(slackPayload(text, message.parts.subject));
  }
  const json = message.parts.json;
  if (json === undefined) throw invalid('a json webhook message needs a json part');
  try {
    JSON.parse(json);
  } catch {
    throw invalid('the json part of the webhook message is not valid JSON');
  }
  // The approved bytes are what goes out: no parse-and-stringify round trip that could reorder or reformat.
  return json;
}
