/** Task queues and workflow names shared by the client, the worker and the tests. */

/** The task queue incidents run on. */
export const INCIDENT_TASK_QUEUE = 'firebreak-incidents';

/** The workflow type that interprets a runbook plan: one run is one incident. */
export const INCIDENT_WORKFLOW = 'incidentWorkflow';

/** The workflow type a schedule starts: it prepares an incident from the current runbook and runs it as a child. */
export const SCHEDULED_TRIGGER_WORKFLOW = 'scheduledTriggerWorkflow';
