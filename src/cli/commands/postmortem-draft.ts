/** `firebreak postmortem draft <incident>`: draft a closed incident's post-mortem through the API. */
import type { Command } from 'commander';
import { apiCommand, printJson, type JsonOption } from '../api/command.js';
import { apiClient, type ApiOptions } from '../api/connection.js';
import type { CliDeps } from '../context.js';
import { formatInstant } from '../render-time.js';

type DraftOptions = ApiOptions & JsonOption & { quiet?: boolean };

/** Adds `draft` to the `postmortem` group. */
export function registerPostmortemDraftCommand(group: Command, deps: CliDeps): void {
  apiCommand(
    group
      .command('draft')
      .description(
        "draft a closed incident's post-mortem from its timeline, whether or not it needed one; prints the one it has when drafted before",
      )
      .argument('<incident>', 'incident id')
      .option('-q, --quiet', 'print only the post-mortem id, for PM=$(npx firebreak postmortem draft ... --quiet)'),
  ).action((incident: string, options: DraftOptions) => draft(deps, incident, options));
}

async function draft(deps: CliDeps, incidentId: string, options: DraftOptions): Promise<void> {
  const { created, postmortem } = await apiClient(deps, options).draftPostmortem(incidentId);
  if (options.json) return printJson(deps, { created, postmortem });
  if (options.quiet) return deps.out(`${postmortem.id}\n`);
  const lines = [
    created
      ? `Drafted post-mortem ${postmortem.id} of incident ${incidentId}`
      : `Incident ${incidentId} already has post-mortem ${postmortem.id} (${postmortem.status}), drafted by ${postmortem.createdBy}`,
    `  Facilitators  ${list(postmortem.people.facilitators)}`,
    `  Reviewers     ${list(postmortem.people.reviewers)}`,
    ...(postmortem.reviewDueAt ? [`  Review due    ${formatInstant(postmortem.reviewDueAt)}`] : []),
  ];
  deps.out(`${lines.join('\n')}\n`);
}

function list(ids: readonly string[]): string {
  return ids.length === 0 ? '(none)' : ids.join(', ');
}
