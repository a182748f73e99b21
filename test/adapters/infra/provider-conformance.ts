/**
 * The behavioural contract every infrastructure provider meets, run against each provider's real target
 * (docker: the harness's own Engine). Inventory pins a frozen, JSON-safe list by every selector kind, with
 * the image digest; a selector that matches nothing gives an empty set (not an error), a malformed one is
 * INVALID_INPUT; the list is capped and says so. Isolation is checked by inspection with the provider's own
 * tools, never by sending traffic: isolate leaves no network, unisolate restores the same networks, aliases
 * and static addresses, both are idempotent and an interrupted isolation resumes. Capabilities are honest:
 * an operation outside them throws UNSUPPORTED. Capture streams each artefact to the sink in one write, named
 * under the target's name, with a recorded SHA-256 equal to a re-hash of the bytes stored, and resumes without
 * capturing again what an interrupted attempt stored; an unknown, repeated
 * or missing artefact is refused before anything is written. A target gone is NOT_FOUND; an unreachable
 * daemon, TRANSIENT.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileEvidenceSink } from '../../support/file-evidence-sink.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import {
  INFRA_OPERATIONS,
  type CaptureArtefact,
  type CaptureResult,
  type InfraProvider,
  type InfraTarget,
  type IsolationRecord,
  type TargetSelector,
} from '../../../src/infra/types.js';

/** A target the fixture started, as the provider's own tools describe it. */
export interface StartedTarget {
  id: string;
  name: string;
  /** The reference it was started from (`repo:tag`). */
  imageTag: string;
  /** The registry's manifest digest of its image. */
  imageDigest: string;
  /** `repo@digest`. */
  imagePinned: string;
  /**
   * What an isolation record names for it, in order, when not the fixture's network names (aws: its ENIs,
   * whose security groups isolation replaces).
   */
  resources?: string[];
}

/** One network attachment, read without the provider. */
export interface Attachment {
  network: string;
  aliases: string[];
  ipv4: string;
}

/** What a provider's test gives the suite: the provider over a real target, and its own tools to check it. */
export interface ProviderFixture {
  provider(): InfraProvider;
  /** The same kind of provider pointed at an endpoint nobody answers. */
  unreachable(): InfraProvider;
  /** The two networks targets are attached to, sorted; the first gives targets a static address. */
  networks: readonly [string, string];
  /**
   * Starts a target from `image` (a fresh image per distinct name), labelled, on both networks: on the
   * first with alias `<name>-a` and a static address, on the second with alias `<name>-b`.
   */
  startTarget(name: string, image: string, labels: Readonly<Record<string, string>>): Promise<StartedTarget>;
  /** Its attachments, read with the provider's own tools, sorted by network. */
  attachments(id: string): Promise<Attachment[]>;
  /** Removes a target for good. */
  remove(id: string): Promise<void>;
  /** An id shaped like the provider's ids that matches nothing. */
  unknownId: string;
  /** The artefacts `capture` gives from a running target, in the order the provider captures them. */
  captureArtefacts: readonly CaptureArtefact[];
  /**
   * What every started target holds, for indicators: a file with its SHA-256, and a literal part of the
   * command line of a process it runs. Needed when the provider supports `indicators`.
   */
  marks?: { file: string; sha256: string; process: string };
  /**
   * False for a provider that redeploys from something else than an image by digest (aws: an AMI or a
   * launch template version): the image cases are left to its own tests.
   */
  redeploysImages?: boolean;
  /**
   * The selectors that pin a started target, when not Docker's (id, 12-digit id prefix, name, labels, image
   * by tag, by repo@digest and by bare digest): a provider whose ids have no prefixes, or whose images have
   * no tags, gives its own.
   */
  selectors?: (target: StartedTarget) => TargetSelector[];
  /** What a pinned target's `image` holds, when not `{ digest, pinned }` from the started target. */
  expectedImage?: (target: StartedTarget) => Record<string, string>;
  /** Whether targets carry the `<name>-a` / `<name>-b` aliases startTarget gave them (default true). */
  aliases?: boolean;
  /** An image selector that is well formed for the provider and matches nothing (default `<suite>-never-built:1`). */
  unknownImage?: string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  return (error as FirebreakError).code;
}

function expectDeepFrozen(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  expect(Object.isFrozen(value)).toBe(true);
  for (const nested of Object.values(value)) expectDeepFrozen(nested);
}

/** Registers the conformance tests for one provider; `fixture` is called inside each test, after setup. */
/** The fixture's marks: a provider that supports `indicators` must give them. */
function marksOf(f: ProviderFixture): { file: string; sha256: string; process: string } {
  if (f.marks === undefined) throw new Error('the fixture supports indicators but gives no marks');
  return f.marks;
}

export function runProviderConformance(label: string, fixture: () => ProviderFixture): void {
  describe(`${label} infrastructure provider conformance`, () => {
    const suite = `conf${Date.now().toString(36)}`;
    let alpha: StartedTarget;
    let beta: StartedTarget;
    let gamma: StartedTarget;
    const evidence = mkdtempSync(path.join(tmpdir(), 'fb-conformance-evidence-'));
    afterAll(() => rmSync(evidence, { recursive: true, force: true }));
    let sinks = 0;
    const newSink = () => fileEvidenceSink(path.join(evidence, `sink-${++sinks}`));

    beforeAll(async () => {
      const f = fixture();
      alpha = await f.startTarget(`${suite}-alpha`, `${suite}-one`, { 'firebreak.suite': suite, role: 'alpha' });
      beta = await f.startTarget(`${suite}-beta`, `${suite}-two`, { 'firebreak.suite': suite, role: 'beta' });
      gamma = await f.startTarget(`${suite}-gamma`, `${suite}-two`, { 'firebreak.suite': suite, role: 'gamma' });
    }, 240_000);

    const only = async (selector: TargetSelector): Promise<InfraTarget> => {
      const set = await fixture().provider().inventory(selector);
      expect(set.total).toBe(1);
      expect(set.capped).toBe(false);
      expect(set.targets).toHaveLength(1);
      return set.targets[0]!;
    };

    it('pins a target by id, id prefix, name, labels and image (tag, repo@digest, bare digest) with its metadata', async () => {
      const f = fixture();
      const selectors: TargetSelector[] = f.selectors?.(alpha) ?? [
        { id: alpha.id },
        { id: alpha.id.slice(0, 12) },
        { name: alpha.name },
        { labels: { 'firebreak.suite': suite, role: 'alpha' } },
        { image: alpha.imageTag },
        { image: alpha.imagePinned },
        { image: alpha.imageDigest },
      ];
      for (const selector of selectors) {
        const target = await only(selector);
        expect(target).toMatchObject({ provider: f.provider().name, kind: f.provider().kind, id: alpha.id, name: alpha.name });
        expect(target.image).toMatchObject(f.expectedImage?.(alpha) ?? { digest: alpha.imageDigest, pinned: alpha.imagePinned });
        expect(target.labels).toMatchObject({ 'firebreak.suite': suite, role: 'alpha' });
        expect(target.state).toBe('running');
        expect(target.networks.map((n) => n.name)).toEqual([...f.networks]);
        if (f.aliases === false) continue;
        expect(target.networks[0]!.aliases).toContain(`${alpha.name}-a`);
        expect(target.networks[1]!.aliases).toContain(`${alpha.name}-b`);
      }
    });

    it('gives a frozen, JSON-safe set that says what it was asked and when', async () => {
      const set = await fixture().provider().inventory({ name: alpha.name });
      expectDeepFrozen(set);
      expect(JSON.parse(JSON.stringify(set))).toEqual(set);
      expect(set.selector).toEqual({ name: alpha.name });
      expect(Date.parse(set.resolvedAt)).not.toBeNaN();
      expect(() => (set.targets as InfraTarget[]).push(set.targets[0]!)).toThrow();
    });

    it('gives an empty set, not an error, for a selector that matches nothing', async () => {
      const provider = fixture().provider();
      for (const selector of [
        { id: fixture().unknownId },
        { name: `${suite}-nobody` },
        { labels: { 'firebreak.suite': `${suite}-none` } },
        { image: fixture().unknownImage ?? `${suite}-never-built:1` },
      ] satisfies TargetSelector[]) {
        const set = await provider.inventory(selector);
        expect(set).toMatchObject({ targets: [], total: 0, capped: false });
      }
    });

    it('refuses a malformed selector or limit with INVALID_INPUT', async () => {
      const provider = fixture().provider();
      const bad = [{}, { id: '' }, { name: alpha.name, image: alpha.imageTag }, { labels: {} }, { labels: { role: 7 } }, { host: 'x' }];
      for (const selector of bad) {
        expect(await codeOf(provider.inventory(selector as TargetSelector))).toBe(ErrorCode.InvalidInput);
      }
      expect(await codeOf(provider.inventory({ name: alpha.name }, { limit: 0 }))).toBe(ErrorCode.InvalidInput);
    });

    it('matches every target a selector names, sorted by name, and caps the list saying so', async () => {
      const provider = fixture().provider();
      const all = await provider.inventory({ labels: { 'firebreak.suite': suite } });
      expect(all.targets.map((t) => t.name)).toEqual([alpha.name, beta.name, gamma.name]);
      const byImage = await provider.inventory({ image: beta.imageTag });
      expect(byImage.targets.map((t) => t.id)).toEqual([beta.id, gamma.id]);
      const capped = await provider.inventory({ labels: { 'firebreak.suite': suite } }, { limit: 2 });
      expect(capped).toMatchObject({ total: 3, capped: true });
      expect(capped.targets.map((t) => t.name)).toEqual([alpha.name, beta.name]);
    });

    it('isolates: no network left, every one recorded; again: nothing new; unisolate restores networks, aliases and addresses', async () => {
      const f = fixture();
      const provider = f.provider();
      const target = await only({ id: beta.id });
      const before = await f.attachments(beta.id);
      expect(before.map((a) => a.network)).toEqual([...f.networks]);

      const record = await provider.isolate(target);
      expect(record).toMatchObject({ targetId: beta.id, provider: provider.name, alreadyIsolated: false });
      const resources = beta.resources ?? [...f.networks];
      expect(record.changes.map((c) => c.resource)).toEqual(resources);
      expectDeepFrozen(record);
      expect(JSON.parse(JSON.stringify(record))).toEqual(record);
      expect(await f.attachments(beta.id)).toEqual([]);
      expect((await only({ id: beta.id })).state).toBe('running');

      const again = await provider.isolate(target);
      expect(again).toMatchObject({ changes: [], alreadyIsolated: true });
      expect(await f.attachments(beta.id)).toEqual([]);

      const restored = await provider.unisolate(target, record);
      expect(restored.restored.map((c) => c.resource)).toEqual(resources);
      expect(restored.alreadyRestored).toEqual([]);
      const after = await f.attachments(beta.id);
      expect(after.map((a) => a.network)).toEqual(before.map((a) => a.network));
      for (const [i, attachment] of after.entries()) {
        expect(attachment.aliases).toEqual(expect.arrayContaining(before[i]!.aliases.filter((a) => a.startsWith(beta.name))));
      }
      // The static address comes back exactly.
      expect(after[0]!.ipv4).toBe(before[0]!.ipv4);

      const twice = await provider.unisolate(target, record);
      expect(twice.restored).toEqual([]);
      expect(twice.alreadyRestored.map((c) => c.resource)).toEqual(resources);
      expect(await f.attachments(beta.id)).toEqual(after);
    });

    it('resumes an interrupted isolation without forgetting what it already disconnected', async () => {
      const f = fixture();
      const provider = f.provider();
      const target = await only({ id: gamma.id });
      const partials: IsolationRecord[] = [];
      const full = await provider.isolate(target, { progress: (partial) => partials.push(partial) });
      expect(partials.map((p) => p.changes.length)).toEqual([1, 2]);
      // The state an attempt leaves when it dies after the first network: the second still attached.
      await provider.unisolate(target, { ...full, changes: [full.changes[1]!] });
      expect((await f.attachments(gamma.id)).map((a) => a.network)).toEqual([f.networks[1]]);

      const resumed = await provider.isolate(target, { resume: partials[0]! });
      expect(resumed.changes).toEqual(full.changes);
      expect(await f.attachments(gamma.id)).toEqual([]);
      await provider.unisolate(target, resumed);
      expect((await f.attachments(gamma.id)).map((a) => a.network)).toEqual([...f.networks]);
      // A record for another target is refused, before anything changes.
      expect(await codeOf(provider.unisolate(target, { ...resumed, targetId: alpha.id }))).toBe(ErrorCode.InvalidInput);
      expect(await codeOf(provider.isolate(target, { resume: { ...resumed, targetId: alpha.id } }))).toBe(
        ErrorCode.InvalidInput,
      );
      expect((await f.attachments(gamma.id)).map((a) => a.network)).toEqual([...f.networks]);
    });

    it('protects idempotently: a second protect changes nothing', async () => {
      const provider = fixture().provider();
      const target = await only({ id: alpha.id });
      const first = await provider.protect(target);
      expect(first.targetId).toBe(alpha.id);
      expectDeepFrozen(first);
      const second = await provider.protect(target);
      expect(second.changes).toEqual([]);
    });

    it('declares its capabilities honestly: every operation outside them throws UNSUPPORTED', async () => {
      const provider = fixture().provider();
      expect(provider.capabilities.has('inventory')).toBe(true);
      const target = await only({ id: alpha.id });
      const calls = {
        inventory: () => provider.inventory({ id: alpha.id }),
        protect: () => provider.protect(target),
        isolate: () => provider.isolate(target),
        unisolate: () => provider.unisolate(target, { targetId: target.id, provider: provider.name, changes: [], alreadyIsolated: true }),
        capture: () => provider.capture({ target, artefacts: ['metadata'], sink: { write: () => Promise.reject(new Error('no sink')) } }),
        destroy: () => provider.destroy({ target }),
        redeploy: () => provider.redeploy({ target, artefact: { kind: 'image', ref: alpha.imagePinned } }),
        health: () => provider.health({ target }),
        indicators: () => provider.indicators({ target, indicators: [{ kind: 'file', path: '/etc/passwd' }] }),
      } satisfies Record<(typeof INFRA_OPERATIONS)[number], () => Promise<unknown>>;
      for (const operation of INFRA_OPERATIONS.filter((op) => !provider.capabilities.has(op))) {
        expect(await codeOf(calls[operation]())).toBe(ErrorCode.Unsupported);
      }
      // Nothing was destroyed or changed by the refused calls.
      expect((await only({ id: alpha.id })).state).toBe('running');
    });

    it('captures every artefact it gives: one write each, named under the target, hashes equal to a re-hash', async () => {
      const f = fixture();
      const provider = f.provider();
      expect(provider.capabilities.has('capture')).toBe(f.captureArtefacts.length > 0);
      if (!provider.capabilities.has('capture')) return;
      const target = await only({ id: alpha.id });
      const sink = newSink();
      const partials: CaptureResult[] = [];
      const result = await provider.capture({
        target,
        artefacts: [...f.captureArtefacts].reverse(),
        sink,
        progress: (partial) => partials.push(partial),
      });
      expect(result.targetId).toBe(alpha.id);
      expect(result.artefacts.map((a) => a.artefact)).toEqual([...f.captureArtefacts]);
      expect(partials.map((p) => p.artefacts.length)).toEqual(f.captureArtefacts.map((_, i) => i + 1));
      expectDeepFrozen(result);
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
      // One write per artefact, each named `<target name>/<artefact>...`.
      expect(sink.stored).toHaveLength(f.captureArtefacts.length);
      for (const [i, captured] of result.artefacts.entries()) {
        const stored = sink.stored[i]!;
        expect(stored.artefact.startsWith(`${alpha.name}/${captured.artefact}`)).toBe(true);
        expect(captured).toEqual({ artefact: captured.artefact, location: stored.location, size: stored.size, sha256: stored.sha256 });
        const bytes = readFileSync(captured.location);
        expect(captured.size).toBe(bytes.length);
        expect(captured.size).toBeGreaterThan(0);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(captured.sha256);
      }
      // Capture leaves the target as it was.
      expect((await only({ id: alpha.id })).state).toBe('running');
    }, 120_000);

    it('resumes an interrupted capture: artefacts already stored are kept, not captured again', async () => {
      const f = fixture();
      const provider = f.provider();
      if (!provider.capabilities.has('capture')) return;
      const target = await only({ id: alpha.id });
      const [first, ...rest] = f.captureArtefacts;
      const sink = newSink();
      const earlier = await provider.capture({ target, artefacts: [first!], sink });
      const resumed = await provider.capture({ target, artefacts: [...f.captureArtefacts], sink, resume: earlier });
      expect(resumed.artefacts.map((a) => a.artefact)).toEqual([...f.captureArtefacts]);
      expect(resumed.artefacts[0]).toEqual(earlier.artefacts[0]);
      // One write per artefact over both attempts.
      expect(sink.stored.map((s) => s.location)).toEqual(resumed.artefacts.map((a) => a.location));
      expect(rest.length + 1).toBe(sink.stored.length);
      expect(await codeOf(provider.capture({ target, artefacts: [first!], sink, resume: { ...earlier, targetId: beta.id } }))).toBe(
        ErrorCode.InvalidInput,
      );
      expect(sink.stored).toHaveLength(f.captureArtefacts.length);
    }, 120_000);

    it('refuses an unknown, repeated or missing artefact before writing anything', async () => {
      const provider = fixture().provider();
      if (!provider.capabilities.has('capture')) return;
      const target = await only({ id: alpha.id });
      const sink = newSink();
      const bad: unknown[][] = [[], ['metadata', 'memory'], ['metadata', 'metadata'], ['__proto__'], [7]];
      for (const artefacts of bad) {
        const error: unknown = await provider
          .capture({ target, artefacts: artefacts as CaptureArtefact[], sink })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(FirebreakError);
        expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
        const named = artefacts.find((a) => a !== 'metadata');
        if (named !== undefined) expect((error as FirebreakError).message).toContain(JSON.stringify(named));
      }
      expect(sink.stored).toEqual([]);
      expect(filesUnder(sink.root)).toEqual([]);
    });

    it('answers NOT_FOUND for a target that is gone', async () => {
      const f = fixture();
      const provider = f.provider();
      const doomed = await f.startTarget(`${suite}-doomed`, `${suite}-one`, { 'firebreak.suite': `${suite}-doomed` });
      const target = await only({ id: doomed.id });
      const record = await provider.isolate(target);
      await f.remove(doomed.id);
      expect(await codeOf(provider.protect(target))).toBe(ErrorCode.NotFound);
      expect(await codeOf(provider.isolate(target))).toBe(ErrorCode.NotFound);
      expect(await codeOf(provider.unisolate(target, record))).toBe(ErrorCode.NotFound);
      if (provider.capabilities.has('capture')) {
        const sink = newSink();
        expect(await codeOf(provider.capture({ target, artefacts: [...f.captureArtefacts], sink }))).toBe(ErrorCode.NotFound);
        expect(sink.stored).toEqual([]);
      }
      if (provider.capabilities.has('health')) expect(await codeOf(provider.health({ target }))).toBe(ErrorCode.NotFound);
      if (provider.capabilities.has('indicators')) {
        expect(await codeOf(provider.indicators({ target, indicators: [{ kind: 'file', path: marksOf(f).file }] }))).toBe(ErrorCode.NotFound);
      }
      expect((await provider.inventory({ id: doomed.id })).targets).toEqual([]);
    }, 60_000);

    it('destroys a target: later operations answer NOT_FOUND, and a retried destroy says it was gone', async () => {
      const f = fixture();
      const provider = f.provider();
      if (!provider.capabilities.has('destroy')) return;
      const burnt = await f.startTarget(`${suite}-burnt`, `${suite}-one`, { 'firebreak.suite': `${suite}-burnt` });
      const target = await only({ id: burnt.id });
      const result = await provider.destroy({ target, gracePeriodSeconds: 1 });
      expect(result).toMatchObject({ targetId: burnt.id, removed: true });
      expectDeepFrozen(result);
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
      expect((await provider.inventory({ id: burnt.id })).targets).toEqual([]);
      expect(await codeOf(provider.protect(target))).toBe(ErrorCode.NotFound);
      expect(await codeOf(provider.isolate(target))).toBe(ErrorCode.NotFound);
      const again = await provider.destroy({ target });
      expect(again).toMatchObject({ targetId: burnt.id, removed: false, alreadyGone: true });
    }, 60_000);

    it('redeploys a destroyed target from its pinned image: running, the same labels, replaced named; a retry reuses it', async () => {
      const f = fixture();
      const provider = f.provider();
      if (!provider.capabilities.has('redeploy') || f.redeploysImages === false) return;
      const old = await f.startTarget(`${suite}-phoenix`, `${suite}-one`, { 'firebreak.suite': `${suite}-phoenix` });
      const target = await only({ id: old.id });
      await provider.destroy({ target, gracePeriodSeconds: 0 });
      const artefact = { kind: 'image', ref: old.imagePinned };
      const result = await provider.redeploy({ target, artefact });
      expect(result.replaced).toBe(old.id);
      expect(result.target.id).not.toBe(old.id);
      expect(result.target).toMatchObject({ name: old.name, state: 'running', image: { digest: old.imageDigest } });
      expect(result.target.labels).toMatchObject({ 'firebreak.suite': `${suite}-phoenix` });
      expect(result.target.networks.map((n) => n.name)).toEqual([...f.networks]);
      expectDeepFrozen(result);
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
      const retried = await provider.redeploy({ target, artefact });
      expect(retried.target.id).toBe(result.target.id);
      expect((await provider.inventory({ labels: { 'firebreak.suite': `${suite}-phoenix` } })).total).toBe(1);
      await f.remove(result.target.id);
    }, 120_000);

    it('refuses to redeploy from a tag without a digest, naming it, before anything changes', async () => {
      const f = fixture();
      const provider = f.provider();
      if (!provider.capabilities.has('redeploy') || f.redeploysImages === false) return;
      const target = await only({ id: alpha.id });
      for (const ref of [alpha.imageTag, `${alpha.imageTag}@sha256:abc`, alpha.imageDigest]) {
        const error: unknown = await provider.redeploy({ target, artefact: { kind: 'image', ref } }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(FirebreakError);
        expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
        expect((error as FirebreakError).message).toContain(ref);
      }
      expect((await fixture().provider().inventory({ labels: { 'firebreak.suite': suite } })).total).toBe(3);
    });

    it('says a running target is healthy', async () => {
      const provider = fixture().provider();
      if (!provider.capabilities.has('health')) return;
      const target = await only({ id: alpha.id });
      const result = await provider.health({ target, timeoutMs: 10_000 });
      expect(result).toMatchObject({ targetId: alpha.id, healthy: true });
      expect(result.detail).not.toBe('');
    });

    it('finds indicators that are present and reports absent ones absent', async () => {
      const f = fixture();
      const provider = f.provider();
      if (!provider.capabilities.has('indicators')) return;
      const target = await only({ id: alpha.id });
      const result = await provider.indicators({
        target,
        indicators: [
          { kind: 'file', path: marksOf(f).file },
          { kind: 'file', path: `/${suite}/not-here` },
          { kind: 'hash', path: marksOf(f).file, sha256: marksOf(f).sha256 },
          { kind: 'hash', path: marksOf(f).file, sha256: '0'.repeat(64) },
          { kind: 'process', pattern: marksOf(f).process },
          { kind: 'process', pattern: `${suite}-no-such-process` },
        ],
      });
      expect(result.targetId).toBe(alpha.id);
      expect(result.findings.map((finding) => finding.present)).toEqual([true, false, true, false, true, false]);
      expectDeepFrozen(result);
      for (const bad of [
        { kind: 'file', path: 'relative/path' },
        { kind: 'file', path: '/with\0nul' },
        { kind: 'hash', path: marksOf(f).file, sha256: 'abc' },
        { kind: 'process', pattern: '' },
        { kind: 'registry-key', path: '/x' },
      ]) {
        const indicators = [bad as never];
        expect(await codeOf(provider.indicators({ target, indicators }))).toBe(ErrorCode.InvalidInput);
      }
    });

    it('answers TRANSIENT (retried) when the daemon or API cannot be reached', async () => {
      const away = fixture().unreachable();
      const target = await only({ id: alpha.id });
      expect(await codeOf(away.inventory({ id: alpha.id }))).toBe(ErrorCode.Transient);
      expect(await codeOf(away.isolate(target))).toBe(ErrorCode.Transient);
      expect(await codeOf(away.protect(target))).toBe(ErrorCode.Transient);
      if (away.capabilities.has('capture')) {
        expect(await codeOf(away.capture({ target, artefacts: ['metadata'], sink: newSink() }))).toBe(ErrorCode.Transient);
      }
      if (away.capabilities.has('destroy')) expect(await codeOf(away.destroy({ target }))).toBe(ErrorCode.Transient);
      if (away.capabilities.has('health')) expect(await codeOf(away.health({ target }))).toBe(ErrorCode.Transient);
      if (away.capabilities.has('indicators')) {
        expect(await codeOf(away.indicators({ target, indicators: [{ kind: 'file', path: '/etc' }] }))).toBe(ErrorCode.Transient);
      }
      expect((await only({ id: alpha.id })).state).toBe('running');
    });
  });
}
