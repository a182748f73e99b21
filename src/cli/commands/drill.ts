/**
 * `firebreak drill history <runbook>`: a drill runbook's recorded results with RTO, RPO and a trend, read
 * straight from the configured blob store (no server needed), like `comms preview` reads templates.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { configBaseDir } from '../../config/index.js';
import { humanizeDuration } from '../../domain/duration.js';
import { countChecks, type DrillRecord } from '../../backup/drills/drill.js';
import {
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_STALE_DAYS,
  drillTrend,
  readDrillHistory,
  type DrillTrend,
} from '../../backup/drills/history.js';
import { createSecretResolver } from '../../secrets/resolver.js';
import { blobStoreFromConfig } from '../../storage/from-config.js';
import { printJson, type JsonOption } from '../api/command.js';
import { EXIT } from '../api/exit-codes.js';
import { loadCliConfig, type ConfigOptions, dataDirOption } from '../config.js';
import { CliError, type CliDeps } from '../context.js';
import { formatInstant } from '../render-time.js';
import { table } from '../output.js';

interface HistoryOptions extends ConfigOptions, JsonOption {
  dataDir: string;
  limit: string;
  staleDays: string;
}

const RUNBOOK_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Registers the `drill` command group. */
export function registerDrillCommands(program: Command, deps: CliDeps): void {
  const drill = program.command('drill').description('restore drills: their recorded results');
  drill
    .command('history')
    .description("a drill runbook's results (newest first) with RTO, RPO and the trend, from the blob store")
    .argument('<runbook>', 'drill runbook id')
    .option('--limit <n>', 'how many of the newest results to read', String(DEFAULT_HISTORY_LIMIT))
    .option('--stale-days <n>', 'warn when no drill passed in this many days', String(DEFAULT_STALE_DAYS))
    .option('--json', 'print the records and the trend as JSON')
    .option('--config <file>', 'configuration file (default: $FIREBREAK_CONFIG or ./firebreak.yaml)')
    .addOption(dataDirOption(deps, 'data directory; the default blob store is <dir>/blobs'))
    .action((runbook: string, options: HistoryOptions) => history(deps, runbook, options));
}

async function history(deps: CliDeps, runbook: string, options: HistoryOptions): Promise<void> {
  if (!RUNBOOK_ID.test(runbook)) throw new CliError(`not a runbook id: ${runbook}`, EXIT.invalid);
  const limit = positiveInt(options.limit, '--limit');
  const staleDays = positiveInt(options.staleDays, '--stale-days');
  const config = loadCliConfig(deps, options);
  const secrets = createSecretResolver({ env: deps.env, baseDir: configBaseDir(config, deps.cwd) });
  const dataDir = path.resolve(deps.cwd, options.dataDir);
  const store = await blobStoreFromConfig(config.storage, { dataDir, secrets });
  const found = await readDrillHistory(store, runbook, limit);
  const trend = drillTrend(found, new Date(), staleDays);
  if (options.json) return printJson(deps, { ...found, trend });
  for (const bad of found.unreadable) deps.err(`warning: ${bad.key}: ${bad.reason}\n`);
  if (found.records.length === 0) {
    deps.out(`No drills of ${runbook} are recorded.\n`);
    return;
  }
  deps.out(`Drills of ${runbook}: the newest ${found.records.length} of ${found.total}\n\n`);
  deps.out(table([HEADER, ...found.records.map(row)]));
  deps.out(`\n${trendText(trend)}\n`);
  if (trend.alarm !== null) deps.err(`warning: ${trend.alarm}\n`);
}

function positiveInt(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new CliError(`${option} must be a whole number >= 1`, EXIT.invalid);
  return value;
}

const HEADER = ['STARTED', 'STATUS', 'BACKUP', 'RTO', 'RPO', 'MIB/S', 'CHECKS', 'INCIDENT', 'REASONS'];

function row(record: DrillRecord): string[] {
  return [
    formatInstant(record.startedAt),
    record.status,
    record.backup?.id ?? '-',
    withTarget(record.rtoMs, record.targets.rto),
    withTarget(record.rpoMs, record.targets.rpo),
    (record.throughputBytesPerS / 1048576).toFixed(1),
    countChecks(record.checks),
    record.incidentId,
    record.reasons.join('; '),
  ];
}

function withTarget(ms: number | null, target: string | undefined): string {
  const shown = ms === null ? '-' : humanizeDuration(ms);
  return target === undefined ? shown : `${shown}/${target}`;
}

/** The trend in two lines: pass rate, then RTO and RPO of the last drill against the medians. */
export function trendText(trend: DrillTrend): string {
  const rate = trend.passRate === null ? 'n/a' : `${Math.round(trend.passRate * 100)}%`;
  const ms = (value: number | null | undefined) =>
    value === null || value === undefined ? '-' : humanizeDuration(value);
  const lastPass = trend.lastPassedAt === null ? 'never' : formatInstant(trend.lastPassedAt);
  return (
    `Trend: ${trend.passed} of ${trend.drills} passed (${rate}); last pass ${lastPass}\n` +
    `RTO last ${ms(trend.last?.rtoMs)} vs median ${ms(trend.medianRtoMs)}; ` +
    `RPO last ${ms(trend.last?.rpoMs)} vs median ${ms(trend.medianRpoMs)}`
  );
}
