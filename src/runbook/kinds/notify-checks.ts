/**
 * The reference checks of a `notify` step: channels and their recipients, who sends and who approves,
 * required facts, repeats, and the message itself (it exists for every channel, and every variable its
 * templates use is something this runbook provides).
 */
import { z } from 'zod';
import { parseDuration } from '../../domain/duration.js';
import type { NotifyChannel } from '../../domain/plan.js';
import { isPublicChannel, type TemplateCatalog } from '../../templating/catalog.js';
import { PRIVATE_INCIDENT_FIELDS, privateFieldReason } from '../../templating/context.js';
import { embedMessage } from '../../templating/embedded.js';
import { variablesOf } from '../../templating/variables.js';
import type { DocPath } from '../../diagnostics/located-issue.js';
import { RoleRef } from '../schema.js';
import { checkDistinct, checkTimeout } from './approval.js';
import { repeatOf, type NotifySpecInput, type NotifyStepInput } from './notify-schema.js';
import type { StepCheckContext } from './types.js';

/** Checks a parsed `notify` step against the runbook and the loaded templates. */
export function checkNotify(step: NotifyStepInput, ctx: StepCheckContext): void {
  const spec = step.notify;
  checkChannels(spec, ctx);
  checkRecipients(spec, ctx);
  checkPeople(step, ctx);
  checkRequires(spec, ctx);
  if (spec.repeat !== undefined) checkRepeat(spec.repeat, step.id, ctx);
  checkMessage(spec, ctx);
}

const at = (...path: DocPath): DocPath => ['notify', ...path];

function checkChannels(spec: NotifySpecInput, ctx: StepCheckContext): void {
  const seen = new Set<string>();
  spec.channels.forEach((channel, index) => {
    if (seen.has(channel)) ctx.report(at('channels', index), `channel \`${channel}\` is listed twice`);
    seen.add(channel);
  });
}

const RECIPIENTS = {
  email: 'list addresses or roles under `to.email`',
  webhook: 'list endpoints from `channels.webhook.endpoints` under `to.webhook`',
  chat: 'list endpoints from `channels.webhook.endpoints` under `to.chat`',
} as const;

const EmailAddress = z.email();

function checkRecipients(spec: NotifySpecInput, ctx: StepCheckContext): void {
  for (const channel of Object.keys(RECIPIENTS) as (keyof typeof RECIPIENTS)[]) {
    const listed = spec.channels.includes(channel);
    const given = spec.to[channel];
    if (listed && (given === undefined || given.length === 0)) {
      ctx.report(at('to', channel), `channel \`${channel}\` needs recipients: ${RECIPIENTS[channel]}`);
    } else if (!listed && given !== undefined) {
      ctx.report(at('to', channel), `\`to.${channel}\` is given but \`${channel}\` is not in \`channels\``, {
        key: true,
      });
    }
  }
  if (spec.replyTo !== undefined && !spec.replyTo.includes('${{') && !EmailAddress.safeParse(spec.replyTo).success) {
    ctx.report(at('replyTo'), `\`${spec.replyTo}\` is not an e-mail address or a \${{ }} template`);
  }
  spec.to.email?.forEach((entry, index) => {
    const path = at('to', 'email', index);
    // A `${{ }}` template is only known at run time; a role stands for its members' addresses.
    if (entry.includes('${{')) return;
    if (entry.startsWith('role:')) {
      if (RoleRef.safeParse(entry).success) ctx.checkRole(path, entry);
      else ctx.report(path, `\`${entry}\` is not a role reference such as role:legal`);
    } else if (!EmailAddress.safeParse(entry).success) {
      ctx.report(path, `\`${entry}\` is not an e-mail address, a role (role:<name>) or a \${{ }} template`);
    }
  });
}

function checkPeople(step: NotifyStepInput, ctx: StepCheckContext): void {
  const spec = step.notify;
  ctx.checkRole(at('from'), spec.from);
  const seen = new Set<string>();
  spec.approvers.forEach((ref, index) => {
    ctx.checkRole(at('approvers', index), ref);
    if (seen.has(ref)) ctx.report(at('approvers', index), `${ref} is listed twice`);
    seen.add(ref);
  });
  if (spec.approvers.length > 0) {
    checkTimeout({ ...spec, timeout: step.timeout }, ctx, at('onTimeout'));
    checkDistinct(spec, ctx, at('distinct'));
    return;
  }
  for (const field of ['quorum', 'distinct'] as const) {
    if (spec[field] !== undefined)
      ctx.report(at(field), `\`${field}\` needs approvers: list the roles whose members may approve`);
  }
  if (spec.fourEyes) {
    ctx.report(at('fourEyes'), '`fourEyes` needs approvers: without them the message is sent without approval');
  }
  if (spec.allowRequester) {
    ctx.report(at('allowRequester'), '`allowRequester` needs approvers: without them nobody approves the message');
  }
  if (spec.onTimeout !== 'reject') {
    ctx.report(at('onTimeout'), '`onTimeout` applies to the approval, but this message has no approvers');
  }
}

function checkRequires(spec: NotifySpecInput, ctx: StepCheckContext): void {
  const seen = new Set<string>();
  spec.requires.forEach((fact, index) => {
    const path = at('requires', index);
    if (seen.has(fact)) {
      ctx.report(path, `fact \`${fact}\` is listed twice`);
      return;
    }
    seen.add(fact);
    if (!Object.hasOwn(ctx.facts, fact)) {
      ctx.checkFact(path, fact);
    } else if (!ctx.factsSet.has(fact)) {
      ctx.report(
        path,
        `fact \`${fact}\` is never set by any step: list it in a task's \`sets\` (a notify step waits until its required facts are confirmed)`,
      );
    }
  });
}

const MIN_REPEAT_MS = 60_000;

function checkRepeat(repeat: NonNullable<NotifySpecInput['repeat']>, stepId: string, ctx: StepCheckContext): void {
  const { every, until } = repeatOf(repeat);
  if ((parseDuration(every) ?? 0) < MIN_REPEAT_MS) {
    ctx.report(
      typeof repeat === 'string' ? at('repeat') : at('repeat', 'every'),
      `repeats must be at least 1m apart, got ${every}`,
    );
  }
  if (until === undefined) return;
  const path = at('repeat', 'until');
  if (until === stepId) {
    ctx.report(path, 'a step cannot repeat until it completes itself: name another step');
  } else if (!ctx.stepIds.has(until)) {
    const hint = ctx.compensationIds.has(until) ? 'a compensation cannot stop repeats' : 'no step has this id';
    ctx.report(path, `unknown step \`${until}\` (${hint})`);
  }
}

function checkMessage(spec: NotifySpecInput, ctx: StepCheckContext): void {
  const { templates } = ctx;
  if (templates === undefined) {
    ctx.report(
      at('message'),
      'notify needs message templates and none were loaded: set `templates.dirs` in the config file, or pass `--templates <dir>` to `runbook validate`',
    );
    return;
  }
  const channels = [...new Set(spec.channels)];
  const embedded = embedMessage(templates, spec.message, channels);
  if (embedded.ok) {
    checkVariables(embedded.value.variables, spec.message, channels, templates, ctx);
    return;
  }
  for (const problem of embedded.problems) {
    const index = problem.channel === undefined ? -1 : spec.channels.indexOf(problem.channel);
    ctx.report(index >= 0 ? at('channels', index) : at('message'), problem.message);
  }
  // The channels that do have templates are still checked, so one run of validate shows every problem.
  const present = channels.filter((channel) => !embedded.problems.some((problem) => problem.channel === channel));
  if (embedded.problems.some((problem) => problem.field === 'message') || present.length === 0) return;
  const partial = embedMessage(templates, spec.message, present);
  if (partial.ok) checkVariables(partial.value.variables, spec.message, present, templates, ctx);
}

function checkVariables(
  variables: readonly string[],
  message: string,
  channels: readonly NotifyChannel[],
  templates: TemplateCatalog,
  ctx: StepCheckContext,
): void {
  for (const variable of variables) {
    const problem = variableProblem(variable, ctx);
    if (problem === undefined) continue;
    const file = fileUsing(templates, message, channels, variable);
    ctx.report(at('message'), `template ${file} uses \`${variable}\`, ${problem}`);
  }
  checkPublicChannels(message, channels, templates, ctx);
}

/** A public channel's templates (the status page) may not name the incident or its runbook. */
function checkPublicChannels(
  message: string,
  channels: readonly NotifyChannel[],
  templates: TemplateCatalog,
  ctx: StepCheckContext,
): void {
  for (const channel of channels.filter(isPublicChannel)) {
    for (const template of templates.messages.get(message)?.get(channel)?.values() ?? []) {
      for (const variable of variablesOf(template, templates.partials.asts)) {
        const [root, field = ''] = variable.split('.');
        if (root === 'steps') {
          ctx.report(
            at('message'),
            `template ${template.file} uses \`${variable}\`: what steps found is not available on the status page, which is public`,
          );
        }
        if (root !== 'incident' || !PRIVATE_INCIDENT_FIELDS.includes(field)) continue;
        ctx.report(at('message'), `template ${template.file} uses \`${variable}\`: ${privateFieldReason(field)}`);
      }
    }
  }
}

const INCIDENT_FIELDS = ['id', 'title', 'severity', 'startedAt', 'runbook', 'runbook.id', 'runbook.title'];
const SENDER_FIELDS = ['id', 'name', 'email'];
const MESSAGE_FIELDS = ['sequence', 'renderedAt', 'nextUpdateAt'];
const ROOTS = ['incident', 'params', 'facts', 'decisions', 'sender', 'message'];
const STEP_FIELDS = ['status', 'output'];
const UNAVAILABLE =
  'which is not available: messages can use incident, params, facts, decisions, sender, message and steps.<id>';

/** Why a template variable will not be there at render time, or undefined when it will. */
function variableProblem(variable: string, ctx: StepCheckContext): string | undefined {
  const [root = '', name, ...rest] = variable.split('.');
  if (name === undefined) return ROOTS.includes(root) ? undefined : UNAVAILABLE;
  const field = [name, ...rest].join('.');
  switch (root) {
    case 'incident':
      return INCIDENT_FIELDS.includes(field)
        ? undefined
        : `which is not a field of the incident (${fields(INCIDENT_FIELDS)})`;
    case 'sender':
      return SENDER_FIELDS.includes(field)
        ? undefined
        : `which is not a field of the sender (${fields(SENDER_FIELDS)})`;
    case 'message':
      return MESSAGE_FIELDS.includes(field)
        ? undefined
        : `which is not a field of the message (fields: ${MESSAGE_FIELDS.join(', ')})`;
    case 'params': {
      if (!Object.hasOwn(ctx.params, name)) return 'which this runbook does not declare';
      return ctx.params[name]?.type === 'secret'
        ? 'a secret param: a secret param cannot be rendered into a message'
        : undefined;
    }
    case 'facts':
      return Object.hasOwn(ctx.facts, name) ? undefined : 'which this runbook does not declare';
    case 'decisions':
      return ctx.decisions.has(name) ? undefined : 'which no decision step of this runbook declares';
    case 'steps': {
      if (!ctx.stepIds.has(name)) return 'which is not a step of this runbook';
      const [part] = rest;
      return part === undefined || STEP_FIELDS.includes(part)
        ? undefined
        : `which is not a field of a step (fields: ${STEP_FIELDS.join(', ')})`;
    }
    default:
      return UNAVAILABLE;
  }
}

function fields(names: readonly string[]): string {
  return `fields: ${names.filter((name) => name !== 'runbook').join(', ')}`;
}

/** The first template file (in channel and part order) whose variables include `variable`. */
function fileUsing(
  templates: TemplateCatalog,
  message: string,
  channels: readonly NotifyChannel[],
  variable: string,
): string {
  for (const channel of channels) {
    for (const template of templates.messages.get(message)?.get(channel)?.values() ?? []) {
      if (variablesOf(template, templates.partials.asts).includes(variable)) return template.file;
    }
  }
  return `of message ${message}`;
}
