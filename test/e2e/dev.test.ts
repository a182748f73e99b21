/**
 * `firebreak dev` as a user runs it: it starts, an incident started against it survives a stop with
 * Ctrl-C and a restart on the same data directory, and finishes after the restart.
 */
import { createSecretCatalog } from '../../src/secrets/declared.js';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../src/actions/registry.js';
import { openEvidenceStore } from '../../src/evidence/index.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { IncidentClient } from '../../src/incidents/client.js';
import { prepareIncident } from '../../src/incidents/prepare.js';
import { loadRunbookDirs } from '../../src/runbook/loader.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { cli } from '../unit/cli/client-support.js';
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

  it('opens the evidence store under the data directory on first use only, serves it, and closes it on Ctrl-C', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-dev-evidence-'));
    const secrets = createSecretResolver({ env: {}, baseDir: dir });
    const dev = await startDev(await freePort(), dir);
    let incidentId = '';
    try {
      // Not opened at start: nothing under evidence/, and the embedded ledger is free for another opener.
      expect(existsSync(path.join(dir, 'evidence'))).toBe(false);
      const env = {
        FIREBREAK_URL: dev.apiUrl,
        FIREBREAK_TOKEN: readFileSync(path.join(dir, 'admin.token'), 'utf8').trim(),
        PATH: process.env.PATH,
      };
      const triggered = await cli(['trigger', 'e2e-dev', '--json'], env);
      expect(triggered.code).toBe(0);
      incidentId = (JSON.parse(triggered.out) as { incidentId: string }).incidentId;
      const store = await openEvidenceStore({}, { dataDir: dir, secrets });
      await store
        .sink({ incidentId, target: { id: 'c1', name: 'web-1' }, capturedBy: { stepId: 'capture', worker: 'test' } })
        .write('logs', Readable.from([Buffer.from('quiet\n')]), { contentType: 'text/plain' });
      await store.close();

      const verified = await cli(['evidence', 'verify', incidentId], env);
      expect(verified).toEqual({
        code: 0,
        out: `1 artefact of ${incidentId} verified: every one matches its record\n`,
        err: '',
      });
      // Now the dev stack holds the ledger: a second opener is refused until it stops.
      await expect(openEvidenceStore({}, { dataDir: dir, secrets })).rejects.toThrow();
    } finally {
      expect(await stop(dev.child)).toBe(0);
    }
    const reopened = await openEvidenceStore({}, { dataDir: dir, secrets });
    try {
      // Closed on Ctrl-C (else this open is refused), with the verification recorded by the dev admin.
      expect((await reopened.accesses(incidentId)).map((a) => [a.action, a.actor, a.result])).toEqual([
        ['verify', 'admin', 'ok'],
      ]);
    } finally {
      await reopened.close();
      rmSync(dir, { recursive: true, force: true });
    }
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
