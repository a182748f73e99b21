/** Exit codes of the commands that talk to the Firebreak API, one per class of failure, and their help text. */
import type { Command } from 'commander';
import type { CliDeps } from '../context.js';

/** The exit code for each class of outcome; scripts can branch on them. */
export const EXIT = {
  ok: 0,
  /** A server error (5xx), an unexpected answer, or anything not listed below. */
  failure: 1,
  /** The request was refused as invalid (400, 413) or an argument could not be read. */
  invalid: 2,
  /** No token, or the token was not accepted (401) or not allowed to do this (403). */
  auth: 3,
  /** The incident, step or runbook does not exist (404). */
  notFound: 4,
  /** The run refused the command in its current state (409): step not waiting, second vote, closed. */
  conflict: 5,
  /** Firebreak could not be reached, or did not answer in time. */
  unreachable: 6,
  /** Too many requests (429): try again later. */
  busy: 7,
} as const;

/** The exit-code table shown after the help of `firebreak` and of every API command. */
export const EXIT_CODES_HELP = `
Exit codes (commands that talk to the Firebreak API):
  0  success
  1  server error or unexpected answer (and command-line usage errors)
  2  invalid request (400, 413) or an argument that cannot be read
  3  no token, token not accepted (401) or not allowed (403)
  4  not found (404)
  5  refused in the incident's current state (409)
  6  cannot reach Firebreak, or no answer in time
  7  too many requests (429): try again later
`;

/** Adds the exit-code table to the top-level help; registered with the command groups. */
export function registerExitCodeHelp(program: Command, _deps: CliDeps): void {
  program.addHelpText('after', EXIT_CODES_HELP);
}
