/**
 * `firebreak comms pending|show|approve|reject|preview`: the messages of `notify` steps. Approving names
 * the fingerprint of the exact message read, so a message that changed since is never approved unseen.
 */
import type { Command } from 'commander';
import type { RenderedChannel } from '../../domain/state.js';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import { EXIT } from '../api/exit-codes.js';
import type { PendingMessageList } from '../api/schemas.js';
import { CliError, type CliDeps } from '../context.js';
import { plural, table } from '../output.js';
import { renderMessageRecord, shortFingerprint, voteCount } from '../render-message.js';
import { registerPreviewCommand } from './comms-preview.js';

interface PendingOptions extends ApiOptions, JsonOption {
  incident?: string;
}

interface ShowOptions extends ApiOptions, JsonOption {
  channel?: string;
}

interface VoteOptions extends ApiOptions, JsonOption {
  fingerprint?: string;
  comment?: string;
}

/** Registers the `comms` command group. */
export function registerCommsCommands(program: Command, deps: CliDeps): void {
  const comms = program
    .command('comms')
    .description('messages of notify steps: list those awaiting approval, read, approve, reject, preview');
  apiCommand(
    comms
      .command('pending')
      .description('messages awaiting approval, across running incidents')
      .option('--incident <id>', 'only the messages of this incident'),
  ).action((options: PendingOptions) => pending(deps, options));
  apiCommand(
    comms
      .command('show')
      .description("show a message: each channel's parts exactly as they will be sent, votes, deliveries")
      .argument('<id>', 'incident id')
      .argument('<step>', 'notify step id')
      .option('--channel <name>', 'only this channel (email, webhook, chat, statuspage)'),
  ).action((id: string, step: string, options: ShowOptions) => show(deps, id, step, options));
  apiCommand(
    comms
      .command('approve')
      .description('approve a message: --fingerprint names the exact message you read (comms show)')
      .argument('<id>', 'incident id')
      .argument('<step>', 'notify step id')
      .requiredOption(
        '--fingerprint <sha256>',
        'the fingerprint comms show prints, or its short form from comms pending (16 or more hex digits)',
      )
      .option('--comment <text>', 'a comment recorded with the vote'),
  ).action((id: string, step: string, options: VoteOptions) => vote(deps, id, step, 'approve', options));
  apiCommand(
    comms
      .command('reject')
      .description('reject a message (any reject rejects it)')
      .argument('<id>', 'incident id')
      .argument('<step>', 'notify step id')
      .option('--fingerprint <sha256>', 'refuse the vote unless the message still has this fingerprint')
      .option('--comment <text>', 'why, recorded with the vote'),
  ).action((id: string, step: string, options: VoteOptions) => vote(deps, id, step, 'reject', options));
  registerPreviewCommand(comms, deps);
}

async function pending(deps: CliDeps, options: PendingOptions): Promise<void> {
  const result = await apiClient(deps, options).pendingMessages(options.incident);
  if (options.json) return printJson(deps, result);
  if (result.messages.length === 0) deps.out('no messages are awaiting approval\n');
  else deps.out(table([['INCIDENT', 'STEP', 'MESSAGE', 'CHANNELS', 'FINGERPRINT', 'VOTES'], ...pendingRows(result)]));
  warnAboutGaps(deps, result);
}

function pendingRows(result: PendingMessageList): string[][] {
  return result.messages.map((message) => [
    message.incidentId,
    message.step,
    message.message,
    message.channels.join(','),
    shortFingerprint(message.fingerprint),
    voteCount(message),
  ]);
}

// The list is bounded and skips incidents that cannot be read: say so on stderr, so stdout stays a table.
function warnAboutGaps(deps: CliDeps, result: PendingMessageList): void {
  if (result.truncated) deps.err('warning: only the newest running incidents were read; use --incident for others\n');
  if (result.unreadable.length > 0) {
    const ids = result.unreadable.join(', ');
    deps.err(
      `warning: ${plural(result.unreadable.length, 'incident')} could not be read (is a worker running?): ${ids}\n`,
    );
  }
}

async function show(deps: CliDeps, id: string, step: string, options: ShowOptions): Promise<void> {
  const { message } = await apiClient(deps, options).getMessage(id, step);
  const channels = selectChannels(message.channels, options.channel);
  if (options.json) return printJson(deps, options.channel === undefined ? { message } : channels[0]);
  deps.out(renderMessageRecord(id, message, channels));
}

/** Every channel, or only the one asked for (an error naming the channels the message has). */
export function selectChannels(channels: RenderedChannel[], wanted: string | undefined): RenderedChannel[] {
  if (wanted === undefined) return channels;
  const found = channels.filter((channel) => channel.channel === wanted);
  if (found.length === 0) {
    const has = channels.map((channel) => channel.channel).join(', ') || 'none rendered yet';
    throw new CliError(`the message has no channel \`${wanted}\` (channels: ${has})`, EXIT.invalid);
  }
  return found;
}

async function vote(
  deps: CliDeps,
  id: string,
  step: string,
  choice: 'approve' | 'reject',
  options: VoteOptions,
): Promise<void> {
  // The short form is pasted as printed, ellipsis included: the API takes the digits before it.
  const fingerprint = options.fingerprint?.replace(/(…|\.\.\.)$/, '');
  const result = await apiClient(deps, options).voteOnMessage(id, step, {
    vote: choice,
    ...(fingerprint !== undefined && { fingerprint }),
    ...(options.comment !== undefined && { comment: options.comment }),
  });
  if (options.json) return printJson(deps, result);
  const which = fingerprint === undefined ? '' : ` ${shortFingerprint(fingerprint)}`;
  deps.out(`${choice === 'approve' ? 'Approved' : 'Rejected'} message${which} of step ${step} on incident ${id}\n`);
}
