/**
 * `firebreak dev` as a user runs it: it starts, an incident started against it survives a stop with
 * Ctrl-C and a restart on the same data directory, and finishes after the restart.
 */
import { createSecretCatalog } from '../../src/secrets/declared.js';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../src/actions/registry.js';
import { IncidentClient } from '../../src/incidents/client.js';
import { prepareIncident } from '../../src/incidents/prepare.js';
import { loadRunbookDirs } from '../../src/runbook/loader.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { startDevProcess, type DevProcess } from '../support/dev-process.js';
import { alice, projectRoot, waitForStep } from '../support/temporal.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'firebreak-dev-'));
const runbooks = path.join(projectRoot, 'test/e2e/runbooks');
const started: ChildProcess[] = [];

/** Runs `firebreak dev` on free ports (API and, unless given, Temporal) and resolves once the banner is printed. */
function startDev(temporalPort: number, dir = dataDir): Promise<DevProcess> {
  return startDevProcess({ dataDir: dir, runbooks, temporalPort, started });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('firebreak dev', () => {
  it('keeps an incident across a Ctrl-C and a restart', async () => {
    const port = await freePort();
    const first = await startDev(port);
    expect(first.output()).toContain(`Temporal       127.0.0.1:${port}`);
    // Never a default port, so e2e files run together: the API on the port given, and the CLI told so.
    expect(first.apiPort).not.toBe(8080);
    expect(first.output()).toContain(`API            ${first.apiUrl}/api/v1`);
    expect(first.output()).toContain(`  export FIREBREAK_URL=${first.apiUrl}\n`);
    expect(first.output()).toContain('Temporal UI    off (--no-ui)');
    expect(first.output()).toMatch(/Runbooks .*e2e-dev/);
    // What to try next runs as printed from the project directory: `firebreak` alone is not on PATH.
    expect(first.output()).toContain('  npx firebreak runbook show ');
    expect(first.output()).toContain('  npx firebreak incident list\n');
    expect(first.output()).toContain(
      '  npx firebreak trigger credential-leak --param credentialId=<credentialId> --param keysApiToken=<declared secret>\n',
    );
    expect(first.output()).not.toMatch(/^ {2}firebreak /m);

    const catalog = await loadRunbookDirs([runbooks], { actions: builtinActionCatalog });
    const prepared = prepareIncident(
      catalog.runbooks,
      [],
      { runbook: 'e2e-dev', params: {}, actor: alice },
      createSecretCatalog(),
    );
    if (!prepared.ok) throw new Error(JSON.stringify(prepared.problems));
    let connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    let incidents = new IncidentClient(new Client({ connection }));
    const { incidentId } = await incidents.trigger(prepared.start);
    await waitForStep(incidents, incidentId, 'hold', 'waiting');
    await connection.close();
    expect(await stop(first.child)).toBe(0);
    expect(first.output()).toContain('Stopped.');

    const second = await startDev(port);
    connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    incidents = new IncidentClient(new Client({ connection }));
    const state = await waitForStep(incidents, incidentId, 'hold', 'waiting');
    expect(state.timeline.find((e) => e.type === 'note')?.message).toBe('started');
    await incidents.completeTask(incidentId, { actor: alice, step: 'hold' });
    expect((await incidents.result(incidentId)).status).toBe('completed');
    await connection.close();
    expect(await stop(second.child)).toBe(0);
    expect(second.output()).not.toContain('error');
  });

  it('keeps its data directory owner-only: Temporal SQLite, its log and the admin token', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-dev-modes-'));
    chmodSync(dir, 0o755); // as an operator may have created it
    const dev = await startDev(await freePort(), dir);
    try {
      const entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
      expect(entries).toEqual(expect.arrayContaining(['temporal.sqlite', 'temporal.log', 'admin.token']));
      const modes = Object.fromEntries(
        ['.', ...entries].map((entry) => [entry, (statSync(path.join(dir, entry)).mode & 0o777).toString(8)]),
      );
      const expected = Object.fromEntries(
        ['.', ...entries].map((entry) => [entry, statSync(path.join(dir, entry)).isDirectory() ? '700' : '600']),
      );
      expect(modes).toEqual(expected);
    } finally {
      expect(await stop(dev.child)).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
