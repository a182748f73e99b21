/**
 * A burn-down end to end through the interpreter on a real Docker Engine (the harness's own daemon and
 * registry), with the evidence store on PGlite and a filesystem blob store: the tabletop runbook of
 * examples/ pins a "compromised" container (a planted file and a marked process), isolates it, captures its
 * evidence, waits for two distinct people (the requester's vote refused), destroys it only once its
 * evidence re-hashes intact, redeploys the fixed image by digest, and checks health and the indicator.
 * Then what must be refused: destroy without evidence, a redeploy by tag, and an abort after isolation,
 * which reconnects the container exactly as it was.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerMissing, startDocker, type TestDocker, type TestImage } from '../../harness/docker.js';
import { InfraConfigSchema } from '../../src/config/infra-schema.js';
import { FirebreakError } from '../../src/domain/errors.js';
import { createSqlEvidenceStore, type OpenEvidenceStore } from '../../src/evidence/open.js';
import { infraProvidersFromConfig } from '../../src/infra/from-config.js';
import { createPgliteClient } from '../../src/postmortems/store/pglite-client.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { alice, bob, erin, projectRoot, startTestEnv, waitForStep, type TestEnv } from '../support/temporal.js';

const missing = dockerMissing();
const TABLETOP = readFileSync(path.join(projectRoot, 'examples/runbooks/tabletop-container-burn-down.yaml'), 'utf8');
const IMPLANT = '/opt/evil/implant.sh';
const NETWORK = 'fb-burn';

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof FirebreakError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe.skipIf(missing !== undefined)(`a burn-down on Docker${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let docker: TestDocker;
  let env: TestEnv;
  let evidence: OpenEvidenceStore;
  let scratch: string;
  let compromised: TestImage;
  let fixed: TestImage;
  let nextHost = 20;

  beforeAll(async () => {
    docker = await startDocker();
    scratch = mkdtempSync(path.join(tmpdir(), 'fb-burn-down-'));
    await docker.docker(['network', 'create', '--internal', '--subnet', '192.0.2.0/24', NETWORK]);
    compromised = await docker.image('shop', 'v1', { 'opt/app/README': 'shop v1\n', [IMPLANT.slice(1)]: 'mine()\n' });
    fixed = await docker.image('shop', 'v2', { 'opt/app/README': 'shop v2\n' });
    const secrets = createSecretResolver({ env: {}, baseDir: scratch });
    const blobs = await createFsStore({ dir: path.join(scratch, 'evidence') });
    evidence = await createSqlEvidenceStore(blobs, await createPgliteClient(path.join(scratch, 'ledger'), 'evidence ledger'));
    const infra = infraProvidersFromConfig(
      InfraConfigSchema.parse({ providers: { docker: { kind: 'docker', host: docker.host } } }),
      { secrets },
    );
    env = await startTestEnv({ evidence: { get: () => Promise.resolve(evidence) }, infra });
  }, 180_000);

  afterAll(async () => {
    await env?.close();
    await evidence?.close();
    await docker?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  /** Starts a container of the compromised image on the internal network, running a marked process. */
  async function compromisedContainer(name: string, image = compromised): Promise<string> {
    const ip = `192.0.2.${nextHost++}`;
    return (
      await docker.docker(['run', '-d', '--name', name, '--network', NETWORK, '--ip', ip, image.ref, 'sleep', '7777'])
    ).trim();
  }

  const networksOf = async (id: string): Promise<string[]> =>
    Object.keys(JSON.parse(await docker.docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', id])) as object);

  const textHashOf = async (id: string, step: string): Promise<string> => {
    const approval = (await env.incidents.state(id)).approvals[step];
    if (approval === undefined) throw new Error(`no approval ${step}`);
    return approval.textHash;
  };

  it('pins, isolates, captures, waits for two people, destroys what it preserved and redeploys by digest', async () => {
    const old = await compromisedContainer('shop-1');
    const plan = env.compile(TABLETOP);
    const id = await env.trigger(plan, { image: compromised.ref, fixedImage: fixed.ref, iocFiles: [IMPLANT] });
    await waitForStep(env.incidents, id, 'approve-destroy', 'waiting', 120_000);

    // Pinned and isolated: the container is on no network any more.
    expect(await networksOf(old)).toEqual([]);
    const state = await env.incidents.state(id);
    const pinned = state.steps.find((step) => step.id === 'pin');
    expect(JSON.stringify(pinned)).toContain(old);

    // The evidence: every artefact recorded, the exported filesystem holds the planted file, hashes match.
    const records = await evidence.list(id);
    expect(records.map((record) => record.artefact).sort()).toEqual(['diff', 'filesystem', 'logs', 'metadata', 'processes']);
    for (const record of records) {
      expect(record.target.id).toBe(old);
      expect(record.capturedBy.stepId).toBe('capture');
    }
    const filesystem = records.find((record) => record.artefact === 'filesystem')!;
    const blob = path.join(scratch, 'evidence', 'objects', filesystem.location);
    const bytes = readFileSync(blob);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(filesystem.sha256);
    expect(bytes.length).toBe(filesystem.size);
    expect(execFileSync('tar', ['-tf', blob], { encoding: 'utf8' }).split('\n')).toContain(IMPLANT.slice(1));
    const processes = records.find((record) => record.artefact === 'processes')!;
    expect(readFileSync(path.join(scratch, 'evidence', 'objects', processes.location), 'utf8')).toContain('sleep 7777');

    // Two distinct people, never the requester (alice triggered it).
    const textHash = await textHashOf(id, 'approve-destroy');
    expect((await refusal(env.incidents.vote(id, { actor: alice, step: 'approve-destroy', vote: 'approve', textHash }))).code).toBe(
      'FORBIDDEN',
    );
    await env.incidents.vote(id, { actor: bob, step: 'approve-destroy', vote: 'approve', textHash });
    expect((await env.incidents.state(id)).approvals['approve-destroy']?.status).toBe('pending');
    await env.incidents.vote(id, { actor: erin, step: 'approve-destroy', vote: 'approve', textHash });

    const result = await env.incidents.result(id);
    expect(result.steps).toMatchObject({
      destroy: 'succeeded',
      redeploy: 'succeeded',
      health: 'succeeded',
      indicators: 'succeeded',
    });
    // The compromised container is gone; its replacement runs the fixed image's exact digest.
    await expect(docker.docker(['inspect', old])).rejects.toThrow();
    const replacement = (await docker.docker(['ps', '-q', '--no-trunc', '--filter', `label=firebreak.replaces=${old}`])).trim();
    expect(replacement).toMatch(/^[0-9a-f]{64}$/);
    const [imageId, running] = (await docker.docker(['inspect', '--format', '{{.Image}} {{.State.Running}}', replacement]))
      .trim()
      .split(' ');
    const fixedId = (await docker.docker(['image', 'inspect', '--format', '{{.Id}}', fixed.ref])).trim();
    expect(imageId).toBe(fixedId);
    expect(running).toBe('true');
    expect(await networksOf(replacement)).toEqual([NETWORK]);
    await expect(docker.docker(['exec', replacement, 'cat', IMPLANT])).rejects.toThrow();

    // Destroy re-hashed the evidence first, and said so in the custody ledger.
    const accesses = await evidence.accesses(id);
    expect(accesses.filter((access) => access.action === 'verify' && access.actor.startsWith('step:destroy@'))).toHaveLength(5);

    // `evidence verify` passes, then fails naming the artefact once one byte is flipped in the store.
    expect((await evidence.verify(id, 'auditor')).ok).toBe(true);
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    writeFileSync(blob, flipped);
    const report = await evidence.verify(id, 'auditor');
    expect(report.ok).toBe(false);
    expect(report.results.filter((r) => r.result !== 'ok').map((r) => [r.artefact.artefact, r.result])).toEqual([
      ['filesystem', 'mismatch'],
    ]);
  }, 300_000);

  it('refuses to destroy what it has not preserved, and to redeploy a tag without a digest', async () => {
    const target = await compromisedContainer('shop-2');
    const plan = env.compile(`
apiVersion: firebreak/v1
id: careless-burn-down
title: Skips the evidence
version: 1
severity: sev4
params:
  image: { type: string, required: true }
  fixedImage: { type: string, required: true }
roles:
  commander: {}
  security: {}
steps:
  - { id: pin, title: Pin, action: infra.inventory, with: { provider: docker, select: { id: "${target}" } } }
  - id: approve-destroy
    title: Destroy it?
    approval: Destroy it without evidence
    approvers: [role:commander, role:security]
    distinct: 2
  - id: destroy
    title: Destroy
    action: infra.destroy
    requires: approval:approve-destroy
    onFailure: continue
    retry: { maxAttempts: 1 }
    with: { provider: docker, targets: "\${{ steps.pin.output.targets }}" }
  - id: redeploy
    title: Redeploy by tag
    action: infra.redeploy
    requires: approval:approve-destroy
    onFailure: continue
    retry: { maxAttempts: 1 }
    with: { provider: docker, targets: "\${{ steps.pin.output.targets }}", image: "\${{ params.fixedImage }}" }
`);
    const id = await env.trigger(plan, { image: compromised.ref, fixedImage: fixed.tag });
    await waitForStep(env.incidents, id, 'approve-destroy', 'waiting', 60_000);
    const textHash = await textHashOf(id, 'approve-destroy');
    await env.incidents.vote(id, { actor: bob, step: 'approve-destroy', vote: 'approve', textHash });
    await env.incidents.vote(id, { actor: erin, step: 'approve-destroy', vote: 'approve', textHash });
    await env.incidents.result(id);
    const state = await env.incidents.state(id);
    const destroy = state.steps.find((step) => step.id === 'destroy');
    expect(destroy?.status).toBe('failed');
    expect(JSON.stringify(destroy)).toContain('EVIDENCE_UNVERIFIED');
    expect(JSON.stringify(destroy)).toContain('shop-2: no evidence was captured in this incident');
    const redeploy = state.steps.find((step) => step.id === 'redeploy');
    expect(redeploy?.status).toBe('failed');
    expect(JSON.stringify(redeploy)).toContain('expected an image pinned by digest');
    // Nothing was destroyed, nothing deployed.
    expect((await docker.docker(['inspect', '--format', '{{.State.Running}}', target])).trim()).toBe('true');
    expect((await docker.docker(['ps', '-q', '--filter', `label=firebreak.replaces=${target}`])).trim()).toBe('');
  }, 180_000);

  it('reconnects an isolated container exactly as it was when the run aborts after isolation', async () => {
    const target = await compromisedContainer('shop-3');
    const before = await docker.docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', target]);
    const plan = env.compile(`
apiVersion: firebreak/v1
id: aborted-burn-down
title: Aborted after isolation
version: 1
severity: sev4
roles:
  commander: {}
  security: {}
steps:
  - { id: pin, title: Pin, action: infra.inventory, with: { provider: docker, select: { name: shop-3 } } }
  - id: isolate
    title: Isolate
    action: infra.isolate
    with: { provider: docker, targets: "\${{ steps.pin.output.targets }}" }
    compensate: unisolate
  - id: approve-destroy
    title: Destroy it?
    approval: Destroy shop-3
    approvers: [role:commander, role:security]
    distinct: 2
compensations:
  - id: unisolate
    title: Reconnect
    action: infra.unisolate
    with: { provider: docker, isolated: "\${{ steps.isolate.output.isolated }}" }
`);
    const id = await env.trigger(plan);
    await waitForStep(env.incidents, id, 'approve-destroy', 'waiting', 60_000);
    expect(await networksOf(target)).toEqual([]);
    await env.incidents.vote(id, { actor: bob, step: 'approve-destroy', vote: 'reject', comment: 'not this one' });
    await expect(env.incidents.result(id)).rejects.toThrow();
    const state = await env.incidents.state(id);
    expect(state.compensations.map((c) => [c.id, c.status])).toEqual([['unisolate', 'succeeded']]);
    const after = JSON.parse(await docker.docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', target])) as Record<
      string,
      { IPAddress: string; Aliases: string[] | null }
    >;
    const was = JSON.parse(before) as typeof after;
    expect(Object.keys(after)).toEqual([NETWORK]);
    expect(after[NETWORK]?.IPAddress).toBe(was[NETWORK]?.IPAddress);
  }, 180_000);
});
