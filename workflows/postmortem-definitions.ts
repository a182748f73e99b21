/**
 * The post-mortem workflow's interface (`postmortem:<incident>`): what starts it, the signal that wakes it
 * when someone changes the post-mortem, and the query that tells how far it got. Wire names are recorded in
 * histories: never rename them. The client side (`src/postmortems/review-signal.ts`) starts and signals
 * it through these.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DraftPostmortemResult } from '../activities/index.js';
import type { ReviewProgress } from '../src/domain/postmortem-review.js';

/** The workflow type, as clients start it by name. */
export const POSTMORTEM_WORKFLOW_TYPE = 'postmortemWorkflow';

/** What starts a post-mortem workflow. */
export interface StartPostmortem {
  incidentId: string;
  /** The post-mortem exists already (started by the signal helper, or continued as new): follow it, do not draft. */
  postmortemId?: string;
  /** What the review sent before this run continued as new. */
  review?: ReviewProgress;
}

/** How a post-mortem workflow's review ended. */
export interface ReviewOutcome {
  ended: 'published' | 'missing';
  /** The publication whose summary went to the audience (its place in the status history). */
  publication?: number;
  /** The addresses the summary reached, or why nobody got it. */
  sent?: number;
  skipped?: string;
}

/** What a post-mortem workflow returns: the post-mortem drafted (or found), why, and how its review ended. */
export interface PostmortemWorkflowResult extends DraftPostmortemResult {
  incidentId: string;
  review?: ReviewOutcome;
}

/** The signal's payload: what changed (for the log), e.g. `status published by alice`. */
export interface PostmortemChanged {
  reason: string;
}

/** Wakes the workflow to read the post-mortem again (status moved, due date changed, drafted by hand). */
export const postmortemChangedSignal = defineSignal<[PostmortemChanged]>('postmortemChanged');

/** Where the workflow is: the draft (once made), what the review sent, the next wake. */
export interface PostmortemWorkflowProgress {
  incidentId: string;
  draft?: DraftPostmortemResult;
  review?: ReviewProgress;
  /** ISO instant of the next timed wake, when one is set. */
  nextWakeAt?: string;
  notices: { kind: string; occurrence: number; sent: number; skipped?: string }[];
}

/** The workflow's progress (answered while it runs, and after it closed while a worker runs). */
export const postmortemProgressQuery = defineQuery<PostmortemWorkflowProgress>('postmortemProgress');
