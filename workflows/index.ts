/** The workflow bundle's entry point: every workflow type the worker registers. */
export { incidentWorkflow } from './incident.js';
export { dedupWorkflow } from './dedup.js';
export { scheduledTriggerWorkflow } from './scheduled-trigger.js';
export { postmortemWorkflow } from './postmortem.js';
export { actionItemWorkflow } from './action-item.js';
