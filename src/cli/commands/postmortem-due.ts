/**
 * `firebreak postmortem due <id> <when>`: moves the review due date of a post-mortem (a duration from now,
 * `5d`, or an ISO 8601 instant), or clears it with `none`. Its workflow then counts the reminders from the
 * new date. For its facilitators, reviewers and admins; refused once it is published.
 */
import type { Command } from 'commander';
import { parseDuration } from '../../domain/duration.js';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import { EXIT } from '../api/exit-codes.js';
import { postmortemApi } from '../api/postmortems.js';
import { CliError, type CliDeps } from '../context.js';
import { formatInstant } from '../render-time.js';

type DueOptions = ApiOptions & JsonOption;

/** Adds `due` to the `postmortem` group. */
export function registerPostmortemDueCommand(group: Command, deps: CliDeps): void {
  apiCommand(
    group
      .command('due')
      .description('set when the review is due: a duration from now (5d, 2w), an ISO 8601 instant, or none')
      .argument('<id>', 'post-mortem id')
      .argument('<when>', '5d, 2w, 2027-01-15T17:00:00Z, or none to clear it'),
  ).action((id: string, when: string, options: DueOptions) => due(deps, id, when, options));
}

async function due(deps: CliDeps, id: string, when: string, options: DueOptions): Promise<void> {
  const reviewDueAt = dueOf(when, Date.now());
  const postmortem = await postmortemApi(apiClient(deps, options)).setReviewDue(id, reviewDueAt);
  if (options.json) return printJson(deps, { postmortem });
  deps.out(
    postmortem.reviewDueAt === undefined
      ? `${id}: no review due date (no reminders)\n`
      : `${id}: review due ${formatInstant(postmortem.reviewDueAt)}; the reminders count from it\n`,
  );
}

/** `<when>` as the API takes it: a duration from `now`, an ISO 8601 instant, or `none` (null). */
export function dueOf(when: string, now: number): string | null {
  if (when === 'none') return null;
  const ms = parseDuration(when);
  if (ms !== undefined) return new Date(now + ms).toISOString();
  const at = Date.parse(when);
  if (/^\d{4}-\d{2}-\d{2}T/.test(when) && !Number.isNaN(at)) return new Date(at).toISOString();
  throw new CliError(
    `the due date must be a duration from now (5d, 2w), an ISO 8601 instant (2027-01-15T17:00:00Z) or none, got ${when}`,
    EXIT.invalid,
  );
}
