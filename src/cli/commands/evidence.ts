/**
 * `firebreak evidence list|verify|export <incident>`: an incident's evidence and its chain of custody
 * through the API. `verify` exits non-zero when an artefact does not match, is missing or cannot be read,
 * or when the incident has no evidence at all, naming each artefact that failed.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../../domain/duration.js';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import { evidenceApi } from '../api/evidence.js';
import { EXIT } from '../api/exit-codes.js';
import { CliError, type CliDeps } from '../context.js';
import { plural } from '../output.js';
import { renderEvidenceList, verifyFailure } from '../render-evidence.js';

type Options = ApiOptions & JsonOption;

/** How long `verify` waits for the server by default: it re-reads every artefact, which may be many GiB. */
const VERIFY_TIMEOUT = '1h';

/** Registers the `evidence` command group. */
export function registerEvidenceCommands(program: Command, deps: CliDeps): void {
  const group = program.command('evidence').description("an incident's captured evidence and its chain of custody");
  apiCommand(
    group
      .command('list')
      .description('the artefacts captured in an incident, and how each was last verified')
      .argument('<incident>'),
  ).action((incident: string, options: Options) => list(deps, incident, options));
  apiCommand(
    group
      .command('verify')
      .description('re-hash every artefact from the evidence storage; exits non-zero naming each that failed')
      .argument('<incident>')
      .option('--timeout <duration>', 'how long to wait for the server (30s, 10m, 2h)', VERIFY_TIMEOUT),
  ).action((incident: string, options: Options & { timeout: string }) => verify(deps, incident, options));
  apiCommand(
    group
      .command('export')
      .description('the manifest for auditors (JSON); records an export access for every artefact')
      .argument('<incident>')
      .option('--out <file>', 'write it to this file (mode 0600) instead of standard output'),
  ).action((incident: string, options: Options & { out?: string }) => exportManifest(deps, incident, options));
}

async function list(deps: CliDeps, incident: string, options: Options): Promise<void> {
  const result = await evidenceApi(apiClient(deps, options)).list(incident);
  if (options.json) return printJson(deps, result);
  if (result.artefacts.length === 0) return deps.out(`no evidence captured in ${incident}\n`);
  deps.out(renderEvidenceList(result.artefacts, result.accesses));
}

async function verify(deps: CliDeps, incident: string, options: Options & { timeout: string }): Promise<void> {
  const timeoutMs = parseDuration(options.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new CliError(`--timeout must be a duration such as 30s, 10m or 2h, got ${options.timeout}`, EXIT.invalid);
  }
  const report = await evidenceApi(apiClient(deps, options, { timeoutMs })).verify(incident);
  if (options.json) printJson(deps, report);
  if (report.results.length === 0) {
    throw new CliError(`no evidence captured in ${incident}: nothing to verify`, EXIT.failure);
  }
  const failed = report.results.filter((result) => result.result !== 'ok');
  if (failed.length === 0) {
    if (!options.json)
      deps.out(`${plural(report.results.length, 'artefact')} of ${incident} verified: every one matches its record\n`);
    return;
  }
  throw new CliError(
    [
      `${plural(failed.length, 'artefact')} of ${report.results.length} in ${incident} failed verification:`,
      ...failed.map((result) => `  ${verifyFailure(result)}`),
    ].join('\n'),
    EXIT.failure,
  );
}

async function exportManifest(deps: CliDeps, incident: string, options: Options & { out?: string }): Promise<void> {
  // Indented for people; parsing and printing again keeps the server's field order.
  const text = `${JSON.stringify(JSON.parse(await evidenceApi(apiClient(deps, options)).export(incident)), null, 2)}\n`;
  if (options.out === undefined) return deps.out(text);
  const file = path.resolve(deps.cwd, options.out);
  // The manifest names what was captured and where it is kept: owner-only, like the data directory.
  writeFileSync(file, text, { mode: 0o600 });
  deps.out(`Wrote ${file}\n`);
}
