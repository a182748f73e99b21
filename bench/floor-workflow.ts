/** The floor the incident workflow is measured against: a bare workflow calling one no-op activity. */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(input: { id: string }): Promise<void> }>({ startToCloseTimeout: '1 minute' });

/** Calls the no-op activity once. */
export async function floorWorkflow(input: { id: string }): Promise<void> {
  await noop(input);
}
