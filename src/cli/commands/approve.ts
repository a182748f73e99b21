/** `firebreak approve`: vote on a pending approval step (approve, or reject with --reject). */
import type { Command } from 'commander';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import type { CliDeps } from '../context.js';

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
      .description('vote on a pending approval: approve, or reject with --reject (any reject rejects)')
      .argument('<id>', 'incident id')
      .argument('<step>', 'approval step id')
      .option('--reject', 'vote to reject')
      .option('--comment <text>', 'a comment recorded with the vote')
      .option('--text-hash <hash>', 'refuse the vote unless the approval text still has this hash (incident show)'),
  ).action((id: string, step: string, options: ApproveOptions) => approve(deps, id, step, options));
}

async function approve(deps: CliDeps, id: string, step: string, options: ApproveOptions): Promise<void> {
  const vote = options.reject === true ? 'reject' : 'approve';
  const result = await apiClient(deps, options).vote(id, step, {
    vote,
    ...(options.comment !== undefined && { comment: options.comment }),
    ...(options.textHash !== undefined && { textHash: options.textHash }),
  });
  if (options.json) return printJson(deps, result);
  deps.out(`Voted to ${vote} ${step} on incident ${id}\n`);
}
