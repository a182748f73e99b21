/** Runbooks: the authoring schema, the loader with line:col, the checks and the compiler to a frozen plan. */
export { createActionCatalog, type ActionCatalog, type ActionCatalogEntry } from './action-catalog.js';
export {
  compileRunbook,
  compileRunbookSources,
  type CompileOptions,
  type LoadedRunbook,
  type RunbookCatalog,
  type RunbookSource,
} from './catalog.js';
export { formatIssue, formatPath, sortIssues, type Issue, type Result } from '../diagnostics/located-issue.js';
export { buildRunbookJsonSchema, renderRunbookJsonSchema, RUNBOOK_JSON_SCHEMA_PATH } from './json-schema.js';
export { kindOfPlanStep, STEP_KIND_REGISTRY, UNAVAILABLE_KINDS } from './kinds/index.js';
export { loadRunbookDirs, loadRunbookFile, loadRunbookFiles, readRunbookSources } from './loader.js';
export { resolveRoster, rosterMembers, type RosterMember } from './roster.js';
export { API_VERSION, RunbookSchema, type Runbook } from './runbook-schema.js';
export { coerceParamValue, validateTriggerParams, type ParamIssue } from './trigger-params.js';
