/**
 * The activity of scheduled runs: prepares an incident from the runbook catalog as it is now, with the
 * params checked exactly as a trigger checks them. Nothing of the plan is frozen into the schedule, so an
 * edited runbook takes effect on the next run, and a runbook that is gone or broken fails that run clearly.
 */
import { createSecretCatalog, type SecretCatalog } from '../src/secrets/declared.js';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Logger } from '../src/actions/types.js';
import { ErrorCode, FirebreakError } from '../src/domain/errors.js';
import type { ScheduledTrigger } from '../src/domain/schedule.js';
import { newIncidentId } from '../src/incidents/client.js';
import { prepareIncident, type TriggerProblem } from '../src/incidents/prepare.js';
import type { RunbookCatalog } from '../src/runbook/catalog.js';
import type { RosterMember } from '../src/runbook/roster.js';
import type { StartIncident } from '../workflows/definitions.js';
import { toActivityFailure } from './failures.js';
import { withFields } from './run-action.js';

/** The ports the scheduled-run activity needs. */
export interface ScheduledActivityDeps {
  /** Loads the runbooks as they are now (read again for every run). */
  runbooks?: () => Promise<RunbookCatalog>;
  /** The people plans are bound to at each run (configured users, plus the dev admin). */
  roster?: readonly RosterMember[];
  /** The declared secrets a scheduled run's secret params must name (none when absent). */
  secretCatalog?: SecretCatalog;
  logger: Logger;
}

/** What a scheduled run starts: the incident's id and its workflow input. */
export interface PreparedScheduledIncident {
  incidentId: string;
  start: StartIncident;
}

/** At most this many runbook problems are quoted in a failed run's message. */
const QUOTED_ISSUES = 5;

/** Creates the activities of scheduled runs. */
export function createScheduledActivities(deps: ScheduledActivityDeps) {
  return {
    /**
     * Loads the current runbook catalog and prepares the incident a scheduled run starts. A runbook that is
     * gone, invalid, or no longer accepts the schedule's params fails with a non-retryable code.
     */
    async prepareScheduledIncident(input: ScheduledTrigger): Promise<PreparedScheduledIncident> {
      const logger = withFields(deps.logger, {
        scheduleId: input.scheduleId,
        runbook: input.runbook,
        attempt: Context.current().info.attempt,
      });
      try {
        const prepared = await prepare(deps, input);
        logger.info(
          { incidentId: prepared.incidentId, version: prepared.start.plan.version },
          'scheduled run prepared',
        );
        return prepared;
      } catch (error) {
        const failure = toActivityFailure(error);
        logger.warn({ error: failure.message }, 'scheduled run not prepared');
        throw failure;
      }
    },
  };
}

async function prepare(deps: ScheduledActivityDeps, input: ScheduledTrigger): Promise<PreparedScheduledIncident> {
  if (!deps.runbooks) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      'this worker was started without runbook directories, so it cannot run schedules',
    );
  }
  const catalog = await deps.runbooks();
  const prepared = prepareIncident(
    catalog.runbooks,
    deps.roster ?? [],
    {
      runbook: input.runbook,
      params: input.params,
      actor: { id: `schedule:${input.scheduleId}`, source: 'schedule' },
      ...(input.severity === undefined ? {} : { severity: input.severity }),
    },
    deps.secretCatalog ?? createSecretCatalog(),
  );
  if (prepared.ok) return { incidentId: newIncidentId(input.runbook), start: prepared.start };
  if (prepared.status === 'not_found') throw missingRunbook(catalog, input.runbook);
  const version = catalog.runbooks.get(input.runbook)?.plan.version;
  throw new FirebreakError(
    ErrorCode.InvalidInput,
    `runbook ${input.runbook} v${version ?? '?'} no longer accepts this schedule's trigger: ${describe(prepared.problems)}`,
  );
}

/** Why a runbook is not in the catalog: its file has problems now, or no file declares it any more. */
function missingRunbook(catalog: RunbookCatalog, runbookId: string): FirebreakError {
  const file = [...catalog.declaredIds].find(([, id]) => id === runbookId)?.[0];
  if (file === undefined) {
    const known = [...catalog.runbooks.keys()].sort().join(', ') || 'none';
    return new FirebreakError(ErrorCode.NotFound, `no runbook ${runbookId} any more (loaded: ${known})`);
  }
  const issues = catalog.issues.filter((issue) => issue.file === file);
  const quoted = issues
    .slice(0, QUOTED_ISSUES)
    .map((issue) => `${issue.line}:${issue.col} ${issue.path || '(root)'}: ${issue.message}`);
  const more = issues.length > QUOTED_ISSUES ? `; and ${issues.length - QUOTED_ISSUES} more` : '';
  const detail = quoted.length === 0 ? 'a runbook it depends on is invalid' : `${quoted.join('; ')}${more}`;
  return new FirebreakError(
    ErrorCode.InvalidInput,
    `runbook ${runbookId} is invalid now (${path.basename(file)}): ${detail}`,
  );
}

function describe(problems: readonly TriggerProblem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
}
