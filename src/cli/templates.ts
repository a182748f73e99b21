/** Message templates for the commands that load runbooks: which directories, and their problems as issues. */
import type { FirebreakConfig } from '../config/schema.js';
import { createSecretCatalog, type SecretCatalog } from '../secrets/declared.js';
import { existsSync } from 'node:fs';
import { infraCatalog } from '../infra/from-config.js';
import type { ActionCatalog } from '../runbook/action-catalog.js';
import type { InfraCatalog } from '../runbook/kinds/types.js';
import type { RunbookCatalog } from '../runbook/catalog.js';
import type { Issue } from '../diagnostics/located-issue.js';
import { loadRunbookDirs } from '../runbook/loader.js';
import { loadTemplateDirs, type TemplateCatalog } from '../templating/catalog.js';

/** Template load problems as issues, listed with runbook problems. */
export function templateIssues(templates: TemplateCatalog | undefined): Issue[] {
  return (templates?.problems ?? []).map((problem) => ({ ...problem, path: '' }));
}

/**
 * Loads the template directories that exist, or `fallback` when none does; undefined when there is nothing
 * to load. A missing directory is not a problem here: runbooks without `notify` steps need no templates,
 * and a runbook with one is refused with a message saying that no templates were loaded.
 */
export async function loadExistingTemplates(
  dirs: readonly string[],
  fallback?: string,
): Promise<TemplateCatalog | undefined> {
  let present = dirs.filter((dir) => existsSync(dir));
  if (present.length === 0 && fallback !== undefined && existsSync(fallback)) present = [fallback];
  return present.length === 0 ? undefined : loadTemplateDirs(present);
}

/** Loads the templates, then the runbooks against them; template problems come first among the issues. */
export async function loadRunbooksWithTemplates(
  runbookDirs: readonly string[],
  templateDirs: readonly string[],
  actions: ActionCatalog,
  fallback?: string,
  secrets?: SecretCatalog,
  infra?: InfraCatalog,
): Promise<RunbookCatalog> {
  const templates = await loadExistingTemplates(templateDirs, fallback);
  const catalog = await loadRunbookDirs(runbookDirs, {
    actions,
    ...(templates && { templates }),
    ...(secrets && { secrets }),
    ...(infra && { infra }),
  });
  return { ...catalog, issues: [...templateIssues(templates), ...catalog.issues] };
}

/**
 * The runbooks a configured process runs (dev, server, worker): the config's runbook and template
 * directories, checked against the secrets and infrastructure providers it declares. Called again whenever the files may have changed.
 */
export function loadConfiguredRunbooks(
  config: FirebreakConfig,
  actions: ActionCatalog,
  fallback?: string,
): Promise<RunbookCatalog> {
  return loadRunbooksWithTemplates(
    config.runbooks.dirs,
    config.templates.dirs,
    actions,
    fallback,
    createSecretCatalog(config.secrets),
    infraCatalog(config.infra),
  );
}
