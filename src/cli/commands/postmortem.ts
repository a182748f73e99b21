/**
 * `firebreak postmortem list|show|export|history|edit|tag|review|publish|reopen|search`: post-mortems through
 * the API. `edit` writes a section on the revision it read, from `--file` or `$EDITOR`; when someone saved
 * the section in between, the text written is kept in a file whose path the error names.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../../domain/duration.js';
import { assignments } from '../api/arguments.js';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import { EXIT } from '../api/exit-codes.js';
import { postmortemApi, type Revision } from '../api/postmortems.js';
import { registerPostmortemDraftCommand } from './postmortem-draft.js';
import { CliError, type CliDeps } from '../context.js';
import { unifiedDiff } from '../line-diff.js';
import { CLI } from '../output.js';
import {
  renderFlags,
  renderHistory,
  renderPostmortem,
  renderPostmortemList,
  renderSearchHits,
} from '../render-postmortem.js';

type Options = ApiOptions & JsonOption;
interface ListOptions extends Options {
  status?: string;
  runbook?: string;
  severity?: string;
  tag?: string;
  since?: string;
  limit?: string;
}

/** Registers the `postmortem` command group. */
export function registerPostmortemCommands(program: Command, deps: CliDeps): void {
  const group = program.command('postmortem').description('draft, read, write, review and search post-mortems');
  registerPostmortemDraftCommand(group, deps);
  apiCommand(
    group
      .command('list')
      .description('post-mortems you may read, newest first')
      .option('--status <status>', 'draft, in-review or published')
      .option('--runbook <id>', 'only of this runbook')
      .option('--severity <severity>', 'only of this severity')
      .option('--tag <tag>', 'only with this tag')
      .option('--since <when>', 'incidents since a duration ago (90d) or an ISO 8601 instant')
      .option('--limit <n>', 'at most this many'),
  ).action((options: ListOptions) => list(deps, options));
  apiCommand(group.command('show').description('show a post-mortem and its sections').argument('<id>')).action(
    (id: string, options: Options) => show(deps, id, options),
  );
  apiCommand(
    group
      .command('export')
      .description('the post-mortem as a document')
      .argument('<id>')
      .option('--format <format>', 'md, html or json', 'md')
      .option('--out <file>', 'write it to this file (mode 0600) instead of standard output'),
  ).action((id: string, options: Options & { format: string; out?: string }) => exportDoc(deps, id, options));
  apiCommand(
    group
      .command('history')
      .description('revisions with author and time, and status changes; --diff compares two revisions')
      .argument('<id>')
      .option('--section <section>', 'only this section')
      .option('--diff <a..b>', 'unified diff between two revisions of --section (0 is the empty draft)'),
  ).action((id: string, options: Options & { section?: string; diff?: string }) => history(deps, id, options));
  apiCommand(
    group
      .command('edit')
      .description('write a section: from --file, or in $EDITOR on its current text')
      .argument('<id>')
      .requiredOption('--section <section>', 'the section to write (summary, what-happened, lessons, ...)')
      .option('--file <file>', 'the new text (else $VISUAL or $EDITOR opens the current one)'),
  ).action((id: string, options: Options & { section: string; file?: string }) => edit(deps, id, options));
  apiCommand(
    group
      .command('tag')
      .description('add tags (and remove others with --remove); search and the periodic review use them')
      .argument('<id>')
      .argument('[tags...]', 'tags to add')
      .option('--remove <tag>', 'a tag to remove (repeatable)', collect, []),
  ).action((id: string, tags: string[], options: Options & { remove: string[] }) => tag(deps, id, tags, options));
  registerStatusCommands(group, deps);
  apiCommand(
    group
      .command('search')
      .description('search the post-mortems you may read (web-search syntax: "phrase", or, -word)')
      .argument('<query>')
      .option('--runbook <id>', 'only of this runbook')
      .option('--severity <severity>', 'only of this severity')
      .option('--tag <tag>', 'only with this tag')
      .option('--since <when>', 'incidents since a duration ago (90d) or an ISO 8601 instant')
      .option('--limit <n>', 'at most this many hits'),
  ).action((query: string, options: ListOptions) => search(deps, query, options));
}

function registerStatusCommands(group: Command, deps: CliDeps): void {
  apiCommand(
    group
      .command('review')
      .description('send a draft to review; prints the blameless flags to look at')
      .argument('<id>'),
  ).action((id: string, options: Options) => move(deps, id, 'in-review', options));
  apiCommand(
    group
      .command('publish')
      .description('publish a reviewed post-mortem; every blameless flag rephrased or acknowledged')
      .argument('<id>')
      .option('--ack <flag=reason>', 'keep a flagged sentence as written, saying why (repeatable)', collect, []),
  ).action((id: string, options: Options & { ack: string[] }) => move(deps, id, 'published', options));
  apiCommand(
    group
      .command('reopen')
      .description('take a published (or reviewed) post-mortem back to draft')
      .argument('<id>')
      .requiredOption('--reason <text>', 'why, for the status history'),
  ).action((id: string, options: Options & { reason: string }) => move(deps, id, 'draft', options));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function list(deps: CliDeps, options: ListOptions): Promise<void> {
  const { status, runbook, severity, tag, limit } = options;
  const since = sinceOf(options.since);
  const result = await postmortemApi(apiClient(deps, options)).list({ status, runbook, severity, tag, since, limit });
  if (options.json) return printJson(deps, result);
  if (result.truncated) deps.err('warning: only the newest post-mortems were searched for ones you may read\n');
  deps.out(result.postmortems.length === 0 ? 'no post-mortems\n' : renderPostmortemList(result.postmortems));
}

async function show(deps: CliDeps, id: string, options: Options): Promise<void> {
  const postmortem = await postmortemApi(apiClient(deps, options)).get(id);
  if (options.json) return printJson(deps, { postmortem });
  deps.out(renderPostmortem(postmortem));
}

async function tag(deps: CliDeps, id: string, add: string[], options: Options & { remove: string[] }): Promise<void> {
  if (add.length === 0 && options.remove.length === 0) {
    throw new CliError('give tags to add, or --remove <tag>', EXIT.invalid);
  }
  const postmortem = await postmortemApi(apiClient(deps, options)).tag(id, { add, remove: options.remove });
  if (options.json) return printJson(deps, { postmortem });
  deps.out(`${postmortem.id} is tagged ${postmortem.tags.join(', ') || '(no tags)'}\n`);
}

async function exportDoc(
  deps: CliDeps,
  id: string,
  options: Options & { format: string; out?: string },
): Promise<void> {
  const text = await postmortemApi(apiClient(deps, options)).export(id, options.format);
  if (options.out === undefined) return deps.out(text);
  const file = path.resolve(deps.cwd, options.out);
  // Post-mortems hold incident data: owner-only, like the data directory.
  writeFileSync(file, text, { mode: 0o600 });
  deps.out(`Wrote ${file}\n`);
}

async function history(
  deps: CliDeps,
  id: string,
  options: Options & { section?: string; diff?: string },
): Promise<void> {
  const api = postmortemApi(apiClient(deps, options));
  if (options.diff !== undefined && options.section === undefined) {
    throw new CliError('--diff compares two revisions of one section: give --section too', EXIT.invalid);
  }
  const result = await api.history(id, options.section);
  if (options.diff === undefined || options.section === undefined) {
    if (options.json) return printJson(deps, result);
    return deps.out(renderHistory(result));
  }
  const [a, b] = revisionPair(options.diff);
  const pick = (revision: number): Revision | undefined =>
    revision === 0
      ? { section: options.section ?? '', revision: 0, text: '', author: '-', at: '' }
      : result.revisions.find((r) => r.revision === revision);
  const from = pick(a);
  const to = pick(b);
  const missing = [from === undefined ? a : undefined, to === undefined ? b : undefined].filter((r) => r !== undefined);
  if (from === undefined || to === undefined) {
    throw new CliError(`${options.section} has no revision ${missing.join(' or ')}`, EXIT.notFound);
  }
  const label = (r: Revision) => `${options.section}@${r.revision}${r.author === '-' ? '' : ` (${r.author}, ${r.at})`}`;
  deps.out(unifiedDiff(from.text, to.text, { from: label(from), to: label(to) }) || 'no difference\n');
}

function revisionPair(text: string): [number, number] {
  const match = /^(\d{1,9})\.\.(\d{1,9})$/.exec(text);
  if (!match) throw new CliError(`--diff must look like 1..3 (two revision numbers), got ${text}`, EXIT.invalid);
  return [Number(match[1]), Number(match[2])];
}

async function edit(deps: CliDeps, id: string, options: Options & { section: string; file?: string }): Promise<void> {
  const api = postmortemApi(apiClient(deps, options));
  const { section } = options;
  const postmortem = await api.get(id);
  const current = Object.hasOwn(postmortem.sections, section) ? postmortem.sections[section] : undefined;
  if (current === undefined) {
    const known = Object.keys(postmortem.sections).join(', ');
    throw new CliError(`no section ${section} (sections: ${known})`, EXIT.invalid);
  }
  const written =
    options.file === undefined ? await editInEditor(deps, section, current.text) : readText(deps, options.file);
  if (written.text.trimEnd() === current.text.trimEnd()) {
    written.discard();
    return deps.out(`No change to ${section}; nothing saved\n`);
  }
  try {
    const { revision } = await api.edit(id, section, { text: written.text, baseRevision: current.revision });
    written.discard();
    if (options.json) return printJson(deps, { revision });
    deps.out(`Saved ${section} of ${id}: revision ${revision.revision}\n`);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    // Nothing was saved: the text written stays in its file, whatever the reason.
    const retry = `${CLI} postmortem edit ${id} --section ${section} --file ${written.file}`;
    const hint =
      error.exitCode === EXIT.conflict
        ? `your text is kept in ${written.file}: see the saved one with \`${CLI} postmortem show ${id}\`, merge, then \`${retry}\``
        : `your text is kept in ${written.file} (\`${retry}\` tries again)`;
    throw new CliError(`${error.message}\n${hint}`, error.exitCode);
  }
}

interface Written {
  text: string;
  /** Where the text is kept when it is not saved. */
  file: string;
  /** Removes the temporary file once the text is saved (a --file is the user's own and is kept). */
  discard(): void;
}

function readText(deps: CliDeps, file: string): Written {
  const resolved = path.resolve(deps.cwd, file);
  try {
    return { text: readFileSync(resolved, 'utf8'), file: resolved, discard: () => undefined };
  } catch (error) {
    throw new CliError(
      `cannot read ${resolved}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      EXIT.invalid,
    );
  }
}

/**
 * Opens `$VISUAL` or `$EDITOR` (a command line, run by the shell) on a private temporary file, and waits
 * for it without blocking the process.
 */
async function editInEditor(deps: CliDeps, section: string, text: string): Promise<Written> {
  const editor = deps.env.VISUAL ?? deps.env.EDITOR;
  if (editor === undefined || editor.trim() === '') {
    throw new CliError('set $EDITOR (or $VISUAL), or give the text with --file', EXIT.invalid);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-postmortem-'));
  const file = path.join(dir, `${section}.md`);
  writeFileSync(file, text, { mode: 0o600 });
  const outcome = await new Promise<string | undefined>((resolve) => {
    const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'sh', file], {
      stdio: 'inherit',
      env: { ...deps.env },
      cwd: deps.cwd,
    });
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code, signal) => resolve(code === 0 ? undefined : `exited with ${code ?? signal ?? '?'}`));
  });
  if (outcome !== undefined) {
    throw new CliError(`the editor (${editor}) ${outcome}; nothing saved, the text is in ${file}`, EXIT.failure);
  }
  return { text: readFileSync(file, 'utf8'), file, discard: () => rmSync(dir, { recursive: true, force: true }) };
}

async function move(
  deps: CliDeps,
  id: string,
  to: 'in-review' | 'published' | 'draft',
  options: Options & { ack?: string[]; reason?: string },
): Promise<void> {
  const api = postmortemApi(apiClient(deps, options));
  const acks = assignments(options.ack ?? [], '--ack', (reason) => reason);
  const acknowledgements = Object.entries(acks).map(([flag, reason]) => ({ flag, reason }));
  const { status } = await api.get(id);
  const result = await api.setStatus(id, {
    from: status,
    to,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(acknowledgements.length === 0 ? {} : { acknowledgements }),
  });
  if (options.json) return printJson(deps, result);
  deps.out(`${id} is ${result.postmortem.status} (was ${status})\n`);
  if (to === 'in-review' && result.flags.length > 0) {
    deps.out(
      `Blameless check: ${result.flags.length} to rephrase, or to acknowledge when publishing (--ack <flag>=<reason>):\n`,
    );
    deps.out(renderFlags(result.flags));
  }
  // Sending the published summary to the audience is a later piece of issue 13.
}

async function search(deps: CliDeps, query: string, options: ListOptions): Promise<void> {
  const { runbook, severity, tag, limit } = options;
  const since = sinceOf(options.since);
  const result = await postmortemApi(apiClient(deps, options)).search({
    q: query,
    runbook,
    severity,
    tag,
    since,
    limit,
  });
  if (options.json) return printJson(deps, result);
  deps.out(result.hits.length === 0 ? 'no matches\n' : renderSearchHits(result.hits));
}

/** `--since`: a duration ago (`90d`, `12h`, `2w`) or an ISO 8601 instant, as the instant the API takes. */
function sinceOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(Date.now() - ms).toISOString();
  const at = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(at)) return new Date(at).toISOString();
  throw new CliError(`--since must be a duration (90d, 12h, 2w) or an ISO 8601 date, got ${text}`, EXIT.invalid);
}
