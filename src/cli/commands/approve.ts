/** `firebreak approve`: vote on a pending approval step (approve, or reject with --reject). */
import type { Command } from 'commander';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import { EXIT } from '../api/exit-codes.js';
import { CliError, type CliDeps } from '../context.js';
import { CLI } from '../output.js';

interface ApproveOptions extends ApiOptions, JsonOption {
  reject?: boolean;
  comment?: string;
  textHash?: string;
}

/** Registers `firebreak approve`. */
export function registerApproveCommand(program: Command, deps: CliDeps): void {
  apiCommand(
    program
      .command('approve')
      .description(
        'vote on a pending approval: approve the text you read (--text-hash), or reject with --reject (any reject rejects)',
      )
      .argument('<id>', 'incident id')
      .argument('<step>', 'approval step id')
      .option('--reject', 'vote to reject')
      .option('--comment <text>', 'a comment recorded with the vote')
      .option(
        '--text-hash <hash>',
        'the hash of the text you approve (incident show); without it, approve shows the text and votes nothing',
      ),
  ).action((id: string, step: string, options: ApproveOptions) => approve(deps, id, step, options));
}

async function approve(deps: CliDeps, id: string, step: string, options: ApproveOptions): Promise<void> {
  const vote = options.reject === true ? 'reject' : 'approve';
  const client = apiClient(deps, options);
  // An approval names the text it approves: show it, so the next command approves what was read. For
  // anything else (no such approval, a message) the server's refusal says why.
  if (vote === 'approve' && options.textHash === undefined) {
    const { incident } = await client.getIncident(id);
    const approval = Object.hasOwn(incident.approvals, step) ? incident.approvals[step] : undefined;
    const message = incident.messages !== undefined && Object.hasOwn(incident.messages, step);
    if (approval !== undefined && !message) {
      deps.out(`${step} asks you to approve:\n  ${approval.text}\n  hash: ${approval.textHash}\n`);
      throw new CliError(
        `nothing voted: an approval names the text it approves (${CLI} approve ${id} ${step} --text-hash <hash>)`,
        EXIT.invalid,
      );
    }
  }
  const result = await client.vote(id, step, {
    vote,
    ...(options.comment !== undefined && { comment: options.comment }),
    ...(options.textHash !== undefined && { textHash: options.textHash }),
  });
  if (options.json) return printJson(deps, result);
  deps.out(`Voted to ${vote} ${step} on incident ${id}\n`);
}
