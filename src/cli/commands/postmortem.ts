/** The `postmortem` command group: drafting now; reading, editing and reviewing join it. */
import type { Command } from 'commander';
import type { CliDeps } from '../context.js';
import { registerPostmortemDraftCommand } from './postmortem-draft.js';

/** Registers the `postmortem` command group. */
export function registerPostmortemCommands(program: Command, deps: CliDeps): void {
  const postmortem = program.command('postmortem').description('draft and work on the post-mortems of incidents');
  registerPostmortemDraftCommand(postmortem, deps);
}
