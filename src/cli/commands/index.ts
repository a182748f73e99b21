/** The command groups of the `firebreak` CLI, registered in this order. Add a group by adding a line. */
import type { Command } from 'commander';
import { registerExitCodeHelp } from '../api/exit-codes.js';
import type { CliDeps } from '../context.js';
import { registerApproveCommand } from './approve.js';
import { registerCommsCommands } from './comms.js';
import { registerDecideCommand } from './decide.js';
import { registerDevCommand } from './dev.js';
import { registerDrillCommands } from './drill.js';
import { registerEvidenceCommands } from './evidence.js';
import { registerFactCommands } from './fact.js';
import { registerIncidentCommands } from './incident.js';
import { registerPostmortemCommands } from './postmortem.js';
import { registerActionItemCommands } from './action-item.js';
import { registerRunbookCommands } from './runbook.js';
import { registerScheduleCommands } from './schedule.js';
import { registerServerCommand } from './server.js';
import { registerTaskCommands } from './task.js';
import { registerTriggerCommand } from './trigger.js';
import { registerWorkerCommand } from './worker.js';

/** Adds one command (or group) to the program. */
export type RegisterCommand = (program: Command, deps: CliDeps) => void;

/** Every command group, in help order. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerRunbookCommands,
  registerDevCommand,
  registerWorkerCommand,
  registerServerCommand,
  registerTriggerCommand,
  registerIncidentCommands,
  registerTaskCommands,
  registerFactCommands,
  registerDecideCommand,
  registerApproveCommand,
  registerCommsCommands,
  registerDrillCommands,
  registerPostmortemCommands,
  registerActionItemCommands,
  registerEvidenceCommands,
  registerScheduleCommands,
  registerExitCodeHelp,
];
