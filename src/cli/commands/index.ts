/** The command groups of the `firebreak` CLI, registered in this order. Add a group by adding a line. */
import type { Command } from 'commander';
import type { CliDeps } from '../context.js';
import { registerDevCommand } from './dev.js';
import { registerRunbookCommands } from './runbook.js';
import { registerWorkerCommand } from './worker.js';

/** Adds one command (or group) to the program. */
export type RegisterCommand = (program: Command, deps: CliDeps) => void;

/** Every command group, in help order. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerRunbookCommands,
  registerDevCommand,
  registerWorkerCommand,
];
