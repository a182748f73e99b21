/**
 * A dev server database kept from an earlier release (`firebreak dev --data-dir`) lacks the search
 * attributes added since: the Temporal CLI registers `--search-attribute`s only when it creates the
 * database. Starting on it registers the missing ones, so the server becomes ready and lists by them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, expect, it } from 'vitest';
import { KIND_ATTRIBUTE } from '../../src/domain/search-attributes.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { missingSearchAttributes } from '../../src/temporal/search-attributes.js';
import { projectRoot } from '../support/temporal.js';

const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-upgrade-'));
const dbFile = path.join(dir, 'temporal.db');
let server: DevServer | undefined;

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function withConnection<T>(address: string, use: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

it('registers on an existing database the search attributes it lacks', async () => {
  // A database as an earlier release left it: every attribute but FirebreakKind.
  server = await startDevServer({ projectRoot, dbFile, readyTimeoutMs: 60_000 });
  await withConnection(server.address, (connection) =>
    connection.operatorService.removeSearchAttributes({
      namespace: 'default',
      searchAttributes: [KIND_ATTRIBUTE.name],
    }),
  );
  expect(await withConnection(server.address, (c) => missingSearchAttributes(c, 'default'))).toEqual([
    KIND_ATTRIBUTE.name,
  ]);
  await server.stop();

  server = await startDevServer({ projectRoot, dbFile, readyTimeoutMs: 30_000 });
  expect(await withConnection(server.address, (c) => missingSearchAttributes(c, 'default'))).toEqual([]);
  const listed = await withConnection(server.address, (connection) =>
    connection.workflowService.countWorkflowExecutions({ namespace: 'default', query: "FirebreakKind = 'job'" }),
  );
  expect(Number(listed.count)).toBe(0);
});
