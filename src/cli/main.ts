#!/usr/bin/env node
/**
 * The `firebreak` command. `buildProgram(deps)` assembles the commands without touching the process, so
 * tests run the CLI in-process with `runCli`; executed directly, it runs against the real process.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { builtinActionCatalog } from '../actions/registry.js';
import { COMMANDS } from './commands/index.js';
import { packageVersion } from './commands/process.js';
import { CliError, CliExit, type CliDeps } from './context.js';
import { terminalSafe } from './output.js';

/** Builds the program with every command registered; output goes through `deps`. */
export function buildProgram(deps: CliDeps): Command {
  const program = new Command('firebreak')
    .description('Incident-response runbooks on Temporal')
    .version(packageVersion(), '-V, --version', 'print the Firebreak version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => deps.out(text), writeErr: (text) => deps.err(text) })
    .exitOverride();
  for (const register of COMMANDS) register(program, deps);
  // Subcommands inherit neither output nor exit handling from their parent: apply both everywhere.
  const configure = (command: Command): void => {
    command.configureOutput({ writeOut: (text) => deps.out(text), writeErr: (text) => deps.err(text) }).exitOverride();
    command.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/** Runs the CLI with arguments (without `node` and the script) and returns the exit code; never exits. */
export async function runCli(args: readonly string[], given: CliDeps): Promise<number> {
  // Every byte goes out through here: text from outside cannot move the cursor, reorder or hide text.
  const deps: CliDeps = {
    ...given,
    out: (text) => given.out(terminalSafe(text, { layout: true })),
    err: (text) => given.err(terminalSafe(text, { layout: true })),
  };
  try {
    await buildProgram(deps).parseAsync([...args], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof CliError) {
      deps.err(`error: ${error.message}\n`);
      return error.exitCode;
    }
    // Commander has already printed its own message (unknown option, missing argument) or the help.
    if (error instanceof CommanderError) return error.exitCode;
    deps.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** The real process's dependencies. */
export function processDeps(): CliDeps {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stderrIsTTY: process.stderr.isTTY,
    actions: builtinActionCatalog,
  };
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await runCli(process.argv.slice(2), processDeps());
}
