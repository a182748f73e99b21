/** `firebreak runbook validate|list|show`: checking and reading runbooks without a server. */
import path from 'node:path';
import type { Command } from 'commander';
import type { RunbookCatalog } from '../../runbook/catalog.js';
import { sortIssues } from '../../diagnostics/located-issue.js';
import { loadRunbookFiles } from '../../runbook/loader.js';
import { loadTemplateDirs, type TemplateCatalog } from '../../templating/catalog.js';
import { collect, RUNBOOKS_OPTION_HELP, loadCliConfig, type ConfigOptions } from '../config.js';
import { CliError, CliExit, type CliDeps } from '../context.js';
import { CLI, displayPath, formatIssueTable, plural, table } from '../output.js';
import { renderPlan } from '../render-plan.js';
import { loadExistingTemplates, loadRunbooksWithTemplates, templateIssues } from '../templates.js';

interface JsonOption {
  json?: boolean;
}

interface ValidateOptions extends JsonOption {
  templates?: string[];
}

/** Registers the `runbook` command group. */
export function registerRunbookCommands(program: Command, deps: CliDeps): void {
  const runbook = program.command('runbook').description('validate, list and show runbooks');
  runbook
    .command('validate')
    .description('check runbook files (or every *.yaml in directories); child runbooks resolve across all given paths')
    .argument('<paths...>', 'runbook files or directories')
    .option(
      '--templates <dir>',
      'message template directory, repeatable (default: ./templates when it exists)',
      collect,
    )
    .option('--json', 'print { valid, files, issues } as JSON')
    .action((paths: string[], options: ValidateOptions) => validate(deps, paths, options));
  withRunbookOptions(runbook.command('list').description('list the valid runbooks'))
    .option('--json', 'print the list as JSON')
    .action((options: ConfigOptions & JsonOption) => list(deps, options));
  withRunbookOptions(runbook.command('show').description('show a runbook as it will run'))
    .argument('<id>', 'runbook id')
    .option('--json', 'print the compiled plan as JSON')
    .action((id: string, options: ConfigOptions & JsonOption) => show(deps, id, options));
}

function withRunbookOptions(command: Command): Command {
  return command
    .option('--config <file>', 'configuration file (default: $FIREBREAK_CONFIG or ./firebreak.yaml)')
    .option('--runbooks <dir>', RUNBOOKS_OPTION_HELP, collect);
}

async function validate(deps: CliDeps, paths: string[], options: ValidateOptions): Promise<void> {
  const templates = await validationTemplates(deps, options.templates);
  const catalog = await loadRunbookFiles(paths, { actions: deps.actions, ...(templates && { templates }) });
  const issues = sortIssues([...templateIssues(templates), ...catalog.issues]);
  const failed = new Set(issues.map((issue) => issue.file));
  if (options.json) {
    const files = catalog.files.map((file) => ({ file, valid: !failed.has(file), ...runbookOf(catalog, file) }));
    deps.out(`${JSON.stringify({ valid: issues.length === 0, files, issues }, null, 2)}\n`);
  } else {
    if (issues.length > 0) deps.out(formatIssueTable(issues, deps.cwd));
    const checked = `${plural(catalog.files.length, 'file')} checked`;
    deps.out(
      issues.length === 0
        ? `${checked}: all valid\n`
        : `${checked}: ${plural(issues.length, 'problem')} in ${plural(failed.size, 'file')}\n`,
    );
  }
  if (issues.length > 0) throw new CliExit(1);
}

// Directories given with --templates must exist; the default ./templates is used only when it does. Like
// the runbook paths, they are read as given, so messages name `templates/...` rather than absolute paths.
async function validationTemplates(deps: CliDeps, dirs: string[] | undefined): Promise<TemplateCatalog | undefined> {
  if (dirs !== undefined) return loadTemplateDirs(dirs);
  return loadExistingTemplates([], path.relative(process.cwd(), path.resolve(deps.cwd, 'templates')));
}

function runbookOf(catalog: RunbookCatalog, file: string): { id?: string; version?: number } {
  for (const [id, loaded] of catalog.runbooks) if (loaded.file === file) return { id, version: loaded.plan.version };
  return {};
}

async function loadFromConfig(deps: CliDeps, options: ConfigOptions): Promise<RunbookCatalog> {
  const config = loadCliConfig(deps, options);
  const catalog = await loadRunbooksWithTemplates(config.runbooks.dirs, config.templates.dirs, deps.actions);
  const unreadable = catalog.issues.find((issue) => issue.message.startsWith('cannot read'));
  if (unreadable) throw new CliError(`${displayPath(unreadable.file, deps.cwd)}: ${unreadable.message}`);
  return catalog;
}

// Runbooks with problems are left out of list and show; say so once, on stderr, so output stays parseable.
function warnAboutProblems(deps: CliDeps, catalog: RunbookCatalog): void {
  if (catalog.issues.length === 0) return;
  const files = [...new Set(catalog.issues.map((issue) => displayPath(issue.file, deps.cwd)))];
  deps.err(
    `warning: ${plural(files.length, 'file')} with problems left out (${files.join(', ')}); run \`${CLI} runbook validate\`\n`,
  );
}

async function list(deps: CliDeps, options: ConfigOptions & JsonOption): Promise<void> {
  const catalog = await loadFromConfig(deps, options);
  const rows = [...catalog.runbooks.values()]
    .map(({ file, plan }) => ({
      id: plan.runbookId,
      version: plan.version,
      severity: plan.severity,
      title: plan.title,
      file,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
  if (options.json) {
    deps.out(`${JSON.stringify(rows, null, 2)}\n`);
  } else if (rows.length === 0) {
    deps.out('no valid runbooks found\n');
  } else {
    const header = ['ID', 'VERSION', 'SEVERITY', 'TITLE', 'FILE'];
    deps.out(
      table([
        header,
        ...rows.map((row) => [row.id, String(row.version), row.severity, row.title, displayPath(row.file, deps.cwd)]),
      ]),
    );
  }
  warnAboutProblems(deps, catalog);
}

async function show(deps: CliDeps, id: string, options: ConfigOptions & JsonOption): Promise<void> {
  const catalog = await loadFromConfig(deps, options);
  const loaded = catalog.runbooks.get(id);
  if (loaded === undefined) {
    const broken = catalog.issues.filter((issue) => catalog.declaredIds.get(issue.file) === id);
    if (broken.length > 0) deps.err(formatIssueTable(broken, deps.cwd));
    const known = [...catalog.runbooks.keys()].sort().join(', ') || 'none';
    throw new CliError(`no valid runbook with id \`${id}\` (valid runbooks: ${known})`);
  }
  deps.out(
    options.json
      ? `${JSON.stringify({ file: loaded.file, plan: loaded.plan }, null, 2)}\n`
      : renderPlan(loaded.plan, deps.cwd),
  );
}
