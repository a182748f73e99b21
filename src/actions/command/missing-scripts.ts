/**
 * The `command.run` scripts runbooks name that the scripts directory does not hold (or cannot run), per
 * runbook: said when `firebreak dev` and `firebreak worker` start, so a runbook that would abort on its
 * first script is known before an incident, not a second into one.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { ActionStep, Plan } from '../../domain/plan.js';
import { forEachStep } from '../../domain/step-kinds.js';
import { isPlainFileName } from './locate.js';

/** A runbook and the scripts it names that are missing from the scripts directory. */
export interface MissingScripts {
  runbook: string;
  scripts: string[];
}

/** Every runbook that names a script (literally; an expression is only known at run time) not runnable in `scriptsDir`. */
export function missingScripts(plans: Iterable<Plan>, scriptsDir: string): MissingScripts[] {
  const found: MissingScripts[] = [];
  for (const plan of plans) {
    const scripts = new Set<string>();
    const visit = (step: ActionStep): void => {
      const command = step.action === 'command.run' ? step.with.command : undefined;
      if (typeof command !== 'string' || command.includes('${{') || !isPlainFileName(command)) return;
      if (!runnable(path.join(scriptsDir, command))) scripts.add(command);
    };
    forEachStep(plan.steps, (step) => step.kind === 'action' && visit(step));
    for (const compensation of Object.values(plan.compensations)) visit(compensation);
    if (scripts.size > 0) found.push({ runbook: plan.runbookId, scripts: [...scripts].sort() });
  }
  return found.sort((a, b) => a.runbook.localeCompare(b.runbook));
}

/** A warning naming, per runbook, the scripts it needs and where they were looked for; '' when none is missing. */
export function formatMissingScripts(missing: readonly MissingScripts[], scriptsDir: string): string {
  if (missing.length === 0) return '';
  const lines = missing.map((entry) => `  ${entry.runbook}: ${entry.scripts.join(', ')}\n`);
  return (
    `warning: runbooks name command.run scripts that are not executable files in ${scriptsDir} ` +
    '(actions.command.scriptsDir); those steps will fail until you add them:\n' +
    lines.join('')
  );
}

function runnable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
