/**
 * Replays recorded histories (test/fixtures/histories/*.json, recorded by `npm run record-histories`)
 * against the current workflow bundle. A change that would break runs in flight fails here: guard it
 * with `patched()` instead, or re-record only when breaking in-flight runs is intended.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { projectRoot, quietTemporalRuntime } from '../../harness/config.js';

const folder = path.join(projectRoot, 'test/fixtures/histories');
const files = readdirSync(folder).filter((file) => file.endsWith('.json'));

describe('replay of recorded histories', () => {
  it('has histories to replay', () => {
    expect(files.sort()).toEqual([
      'abort-with-compensations.json',
      'action-item-watch.json',
      'alerts-and-cancel.json',
      'approval-distinct.json',
      'breach-human-steps.json',
      'child-runbook.json',
      'notify-message.json',
      'postmortem-by-severity.json',
      // A post-mortem workflow recorded before its review existed (by the code of d46cca1): it drafts and ends.
      'postmortem-draft.json',
      'postmortem-step.json',
      'postmortem-step.postmortem.json',
      'requires-approval.json',
    ]);
  });

  it.each(files)('replays %s deterministically', async (file) => {
    quietTemporalRuntime();
    const json = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as { events: Array<{ eventType: string }> };
    // Each recording ran to its end, so the replay covers the whole run.
    expect(json.events.at(-1)?.eventType).toMatch(/^EVENT_TYPE_WORKFLOW_EXECUTION_(COMPLETED|FAILED)$/);
    const workflowId = `replay-${path.basename(file, '.json')}`; // child ids derive from it
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        historyFromJSON(json),
        workflowId,
      ),
    ).resolves.toBeUndefined();
  });
});
