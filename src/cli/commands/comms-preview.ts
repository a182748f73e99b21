/**
 * `firebreak comms preview`: renders a runbook's notify step locally, from the configured templates, the
 * runbook's params and facts given in a file, exactly as a run would render it. No server; nothing is sent.
 */
import { createSecretCatalog } from '../../secrets/declared.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { MessageContext, RenderedParts } from '../../domain/notify.js';
import type { JsonValue, NotifyStep, Plan } from '../../domain/plan.js';
import type { FirebreakConfig } from '../../config/schema.js';
import { loadRunbookDirs } from '../../runbook/loader.js';
import { resolveRoster, rosterMembers } from '../../runbook/roster.js';
import { validateTriggerParams } from '../../runbook/trigger-params.js';
import { renderEmbedded } from '../../templating/index.js';
import { assignments } from '../api/arguments.js';
import { printJson, type JsonOption } from '../api/command.js';
import { EXIT } from '../api/exit-codes.js';
import { collect, RUNBOOKS_OPTION_HELP, loadCliConfig, type ConfigOptions } from '../config.js';
import { CliError, type CliDeps } from '../context.js';
import { displayPath } from '../output.js';
import { findNotifyStep, readDecisions, readFacts, recipientsOf, senderOf } from '../preview-inputs.js';
import { formatSender, renderChannel } from '../render-message.js';
import { loadExistingTemplates } from '../templates.js';
import { own } from '../../domain/own.js';

interface PreviewOptions extends ConfigOptions, JsonOption {
  facts: string;
  param?: string[];
  decision?: string[];
  channel?: string;
}

/** What a preview rendered: each channel's parts, recipients and fingerprint, and the message fingerprint. */
interface Preview {
  runbook: string;
  step: string;
  message: string;
  sent: false;
  from: MessageContext['sender'];
  fingerprint: string;
  channels: Array<RenderedParts & { recipients: string[] }>;
}

/** Registers `firebreak comms preview` under the `comms` group. */
export function registerPreviewCommand(comms: Command, deps: CliDeps): void {
  comms
    .command('preview')
    .description("render a runbook's notify step locally from facts in a file; nothing is sent, no server needed")
    .argument('<runbook>', 'runbook id')
    .argument('<step>', 'notify step id')
    .requiredOption('--facts <file>', 'JSON: { "<fact>": value } or { "<fact>": { "value": v, "confirmed": false } }')
    .option('--param <name=value>', 'a runbook param, repeatable (defaults apply)', collect)
    .option('--decision <name[=option]>', 'a recorded decision, repeatable', collect)
    .option('--channel <name>', 'print only this channel (the fingerprint still covers every channel)')
    .option('--json', 'print the rendered message as JSON')
    .option('--config <file>', 'configuration file (default: $FIREBREAK_CONFIG or ./firebreak.yaml)')
    .option('--runbooks <dir>', RUNBOOKS_OPTION_HELP, collect)
    .action((runbook: string, step: string, options: PreviewOptions) => preview(deps, runbook, step, options));
}

async function preview(deps: CliDeps, runbookId: string, stepId: string, options: PreviewOptions): Promise<void> {
  const config = loadCliConfig(deps, options);
  const plan = resolveRoster(await loadPlan(deps, config, runbookId), rosterMembers(config.users));
  const found = findNotifyStep(plan, stepId);
  if (!found.ok) throw new CliError(found.problem, EXIT.invalid);
  const step = found.step;
  const shown = shownChannels(step, options.channel);
  const context = await previewContext(deps, config, plan, step, options);
  const rendered = renderEmbedded(step.templates, step.channels, context);
  if (!rendered.ok) {
    const missing = missingDecision(plan, rendered);
    if (missing !== undefined) throw new CliError(`cannot preview ${step.message}: ${missing}`, EXIT.invalid);
    throw new CliError(`cannot render ${step.message}: ${renderProblem(rendered)}`);
  }
  const result: Preview = {
    runbook: plan.runbookId,
    step: step.id,
    message: step.message,
    sent: false,
    from: context.sender,
    fingerprint: rendered.fingerprint,
    channels: rendered.channels
      .filter((channel) => shown.includes(channel.channel))
      .map((channel) => ({ ...channel, recipients: recipientsOf(plan, step, channel.channel) })),
  };
  if (options.json) return printJson(deps, result);
  deps.out(renderPreview(result));
}

/** The valid runbook with this id, compiled with the configured templates. */
async function loadPlan(deps: CliDeps, config: FirebreakConfig, runbookId: string): Promise<Plan> {
  const templates = await loadExistingTemplates(config.templates.dirs);
  // A template with a problem is left out; the runbook's own problem then says which message is missing.
  for (const problem of templates?.problems ?? []) {
    deps.err(`warning: ${displayPath(problem.file, deps.cwd)}:${problem.line}:${problem.col}  ${problem.message}\n`);
  }
  const catalog = await loadRunbookDirs(config.runbooks.dirs, {
    actions: deps.actions,
    ...(templates && { templates }),
  });
  const loaded = catalog.runbooks.get(runbookId);
  if (loaded !== undefined) return loaded.plan;
  const broken = catalog.issues.filter((issue) => catalog.declaredIds.get(issue.file) === runbookId);
  for (const issue of broken) {
    deps.err(`${displayPath(issue.file, deps.cwd)}:${issue.line}:${issue.col}  ${issue.path}  ${issue.message}\n`);
  }
  const known = [...catalog.runbooks.keys()].sort().join(', ') || 'none';
  throw new CliError(`no valid runbook with id \`${runbookId}\` (valid runbooks: ${known})`);
}

function shownChannels(step: NotifyStep, wanted: string | undefined): string[] {
  if (wanted === undefined) return step.channels;
  if (!(step.channels as string[]).includes(wanted)) {
    throw new CliError(`step ${step.id} sends no \`${wanted}\` (channels: ${step.channels.join(', ')})`, EXIT.invalid);
  }
  return [wanted];
}

/** The context a run would render with, built from the command line: every input problem at once. */
async function previewContext(
  deps: CliDeps,
  config: FirebreakConfig,
  plan: Plan,
  step: NotifyStep,
  options: PreviewOptions,
): Promise<MessageContext> {
  const now = new Date().toISOString();
  // A preview renders no secret (messages never show one), so any declared name will do here.
  const params = validateTriggerParams(
    plan,
    assignments(options.param ?? [], '--param', (value) => value),
    createSecretCatalog(config.secrets),
  );
  const facts = readFacts(plan, await readJsonFile(deps, options.facts), now);
  const decisions = readDecisions(plan, options.decision ?? [], now);
  const problems = [
    ...(params.ok ? [] : params.issues.map((issue) => `${issue.path}: ${issue.message}`)),
    ...(facts.ok ? [] : facts.problems),
    ...(decisions.ok ? [] : decisions.problems),
  ];
  if (!params.ok || !facts.ok || !decisions.ok) {
    throw new CliError(['cannot preview:', ...problems.map((problem) => `  ${problem}`)].join('\n'), EXIT.invalid);
  }
  const sender = senderOf(plan, step);
  if (sender === undefined) {
    deps.err(`warning: role ${step.from.role} has no members, so a run could not send this; shown as from the role\n`);
  }
  return {
    incident: {
      id: 'preview',
      title: plan.title,
      severity: plan.severity,
      startedAt: now,
      runbook: { id: plan.runbookId, title: plan.title },
    },
    params: nonSecret(plan, params.value),
    facts: facts.facts,
    decisions: decisions.decisions,
    sender: sender ?? { id: `role:${step.from.role}` },
    message: {
      sequence: 1,
      renderedAt: now,
      ...(step.repeat === undefined
        ? {}
        : { nextUpdateAt: new Date(Date.parse(now) + step.repeat.everyMs).toISOString() }),
    },
  };
}

// A secret param's value is a reference; a run never renders it, and neither does the preview.
function nonSecret(plan: Plan, params: Record<string, JsonValue>): Record<string, JsonValue> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => own(plan.params, name)?.type !== 'secret'));
}

async function readJsonFile(deps: CliDeps, file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path.resolve(deps.cwd, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : String(error)}`, EXIT.invalid);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`, EXIT.invalid);
  }
}

/**
 * A decision the message uses that the command line did not give, as the option that gives it. A run
 * records decisions as it goes; a preview has only the `--decision` options, so this is an input problem.
 */
function missingDecision(plan: Plan, problem: { code: string; variable?: string }): string | undefined {
  const name = /^decisions\.([^.]+)/.exec(problem.variable ?? '')?.[1];
  if (problem.code !== 'MISSING_VARIABLE' || name === undefined) return undefined;
  const spec = own(plan.decisions, name);
  if (spec === undefined) return undefined;
  const option = spec.options === undefined ? name : `${name}=<${spec.options.join('|')}>`;
  return `it uses decision \`${name}\`, which was not given: add --decision ${option}`;
}

/** The render problem, with the variable and template file when its message does not already name them. */
function renderProblem(problem: { message: string; variable?: string; file?: string }): string {
  const where = [
    problem.variable !== undefined && !problem.message.includes(problem.variable) ? `variable ${problem.variable}` : '',
    problem.file !== undefined && !problem.message.includes(problem.file) ? `in ${problem.file}` : '',
  ].filter((part) => part !== '');
  return where.length === 0 ? problem.message : `${problem.message} (${where.join(', ')})`;
}

function renderPreview(preview: Preview): string {
  const from = formatSender(preview.from);
  const head = `Preview of ${preview.message} (step ${preview.step} of runbook ${preview.runbook}), from ${from}\n`;
  const channels = preview.channels.map((channel) => `\n${renderChannel(channel)}fingerprint ${channel.fingerprint}\n`);
  return `${head}${channels.join('')}\nmessage fingerprint ${preview.fingerprint}\nNothing was sent: this is a local preview.\n`;
}
