/**
 * `firebreak comms show` and `comms preview`: a notify step's message rendered for people. Each channel's
 * parts are printed verbatim under a header, since what an approver reads must be what is sent.
 */
import type { MessageRecord, RenderedChannel, SenderIdentity, VoteRecord } from '../domain/state.js';
import { table } from './output.js';
import { oneLine, section } from './render-incident-records.js';
import { formatInstant } from './render-time.js';

/** How many hex digits of a fingerprint the short form keeps. */
const SHORT_DIGITS = 16;

/** `sha256:0123456789abcdef…`: enough to tell fingerprints apart, and a prefix `comms approve` accepts. */
export function shortFingerprint(fingerprint: string): string {
  const [scheme, hex] = fingerprint.split(':', 2);
  return hex !== undefined && hex.length > SHORT_DIGITS ? `${scheme}:${hex.slice(0, SHORT_DIGITS)}…` : fingerprint;
}

/** `Alice Example <alice@example.com> (alice)`, or as much of it as is known. */
export function formatSender(sender: SenderIdentity): string {
  const mailbox = sender.email === undefined ? '' : `<${sender.email}>`;
  if (sender.name !== undefined) return [sender.name, mailbox, `(${sender.id})`].filter((p) => p !== '').join(' ');
  return sender.email !== undefined && sender.email !== sender.id ? `${sender.id} ${mailbox}` : sender.id;
}

/**
 * Approving votes over the approvals needed: `1/2`. When no quorum is set, one per approver role. With
 * `distinct`, the people counted so far over those needed too: `2/2, 1 of 2 people`.
 */
export function voteCount(
  record: Pick<MessageRecord, 'votes' | 'approvers' | 'quorum' | 'distinct' | 'distinctApprovers'>,
): string {
  const approved = record.votes.filter((vote) => vote.vote === 'approve').length;
  const people =
    record.distinct === undefined ? '' : `, ${record.distinctApprovers?.length ?? 0} of ${record.distinct} people`;
  return `${approved}/${record.quorum ?? record.approvers.length}${people}`;
}

/** One channel's parts, each verbatim under `--- <channel>: <part> ---`, then its recipients. */
export function renderChannel(channel: Pick<RenderedChannel, 'channel' | 'parts' | 'recipients'>): string {
  const blocks = Object.entries(channel.parts).map(([part, text]) => {
    const body = text.endsWith('\n') ? text : `${text}\n`;
    return `--- ${channel.channel}: ${part} ---\n${body}`;
  });
  const recipients = channel.recipients.length > 0 ? channel.recipients.join(', ') : '(none: published)';
  return `${blocks.join('')}--- end of ${channel.channel}; to: ${recipients} ---\n`;
}

/** The whole message: header, each channel verbatim, votes, voided votes and what was sent. */
export function renderMessageRecord(incidentId: string, record: MessageRecord, channels: RenderedChannel[]): string {
  const sections = [
    header(incidentId, record),
    channels.map(renderChannel).join('\n'),
    section('Votes', record.votes.map(voteRow)),
    voidedSection(record),
    sentSection(record),
  ];
  return sections.filter((text) => text !== '').join('\n');
}

function approvalCount(record: MessageRecord): string {
  const approved = record.votes.filter((vote) => vote.vote === 'approve').length;
  const approvals = `${approved}/${record.quorum ?? record.approvers.length} approvals`;
  if (record.distinct === undefined) return approvals;
  return `${approvals}, ${record.distinctApprovers?.length ?? 0} of ${record.distinct} distinct people`;
}

function header(incidentId: string, record: MessageRecord): string {
  const approvers =
    record.approvers.length === 0
      ? 'none: sent without approval'
      : `${record.approvers.join(', ')} (${approvalCount(record)}${record.fourEyes ? ', four eyes' : ''})`;
  const rows: string[][] = [
    ['status', record.status],
    ['from', formatSender(record.from)],
    ['approvers', approvers],
    ['fingerprint', record.fingerprint ?? '(not rendered yet)'],
    ...optional('facts', record.facts.length > 0 ? record.facts.join(', ') : undefined),
    ...optional('waiting for', record.waitingFor?.join(', ')),
    ...optional('problem', record.problem === undefined ? undefined : oneLine(record.problem)),
    ...optional('rendered', record.renderedAt && formatInstant(record.renderedAt)),
    ...optional('approved', record.approvedAt && formatInstant(record.approvedAt)),
    ...optional('sent', record.sentAt && formatInstant(record.sentAt)),
    ...optional('next update', record.nextAt && formatInstant(record.nextAt)),
    ...optional('error', record.error && oneLine(`${record.error.code}: ${record.error.message}`)),
  ];
  const sequence = record.sequence > 1 ? ` (update ${record.sequence})` : '';
  return `Message ${record.message} of step ${record.step}${sequence}, incident ${incidentId}\n${table(rows, '  ')}`;
}

function optional(label: string, value: string | undefined): string[][] {
  return value === undefined || value === '' ? [] : [[label, value]];
}

function voteRow(vote: VoteRecord): string[] {
  return [
    vote.voter,
    vote.vote,
    vote.roles.length > 0 ? `as ${vote.roles.join(', ')}` : '',
    formatInstant(vote.at),
    vote.comment === undefined ? '' : oneLine(vote.comment),
  ];
}

function voidedSection(record: MessageRecord): string {
  if (record.voided.length === 0) return '';
  const blocks = record.voided.map(
    (voided) =>
      `  ${shortFingerprint(voided.fingerprint)}  voided ${formatInstant(voided.at)}: ${oneLine(voided.reason)}\n` +
      table(voided.votes.map(voteRow), '    '),
  );
  return `Voided votes\n${blocks.join('')}`;
}

function sentSection(record: MessageRecord): string {
  if (record.sent.length === 0) return '';
  const blocks = record.sent.map((sent) => {
    const head = `  #${sent.sequence}  ${formatInstant(sent.sentAt)}  ${shortFingerprint(sent.fingerprint)}  approved by ${sent.approvedBy.join(', ') || 'nobody (no approval needed)'}\n`;
    const rows = sent.deliveries.map((delivery) => [
      delivery.channel,
      `accepted ${delivery.accepted.join(', ') || 'none'}`,
      `ids ${delivery.messageIds.join(', ') || 'none'}`,
    ]);
    return head + table(rows, '    ');
  });
  return `Sent\n${blocks.join('')}`;
}
