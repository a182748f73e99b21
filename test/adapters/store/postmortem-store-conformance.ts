/**
 * The behavioural contract of the post-mortem store, run against each adapter on a real engine (PGlite in
 * a temporary directory, a throwaway PostgreSQL server): migrations, idempotent creation, revisions and
 * conflicts, status compare-and-set, action items, full-text search, and hostile input that stays text.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { LATEST_VERSION, STORE_LIMITS, type PostmortemStore } from '../../../src/postmortems/store/index.js';
import { migrationChecksum, splitStatements } from '../../../src/postmortems/store/migrate.js';
import { MIGRATIONS } from '../../../src/postmortems/store/migrations/index.js';
import type { SqlClient } from '../../../src/postmortems/store/sql-client.js';
import type { NewPostmortem, PostmortemFacts } from '../../../src/postmortems/types.js';

/** One empty database of an engine: open the store on it, or a raw client (only while no store is open, for PGlite). */
export interface FreshDatabase {
  open(): Promise<PostmortemStore>;
  client(): Promise<SqlClient>;
}

/** What each adapter's test file provides. */
export interface StoreTarget {
  /** A new empty database. */
  fresh(): Promise<FreshDatabase>;
}

/** What an engine allows. */
export interface StoreTargetOptions {
  /** Whether two stores may be open on one database at once (PostgreSQL: yes; PGlite: one process, one opener). */
  concurrentOpens: boolean;
}

/** Awaits a rejection and returns it as a FirebreakError with `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<FirebreakError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  expect((error as FirebreakError).code).toBe(code);
  return error as FirebreakError;
}

const T0 = '2026-05-01T10:00:00.000Z';
/** Every schema version, in order: what a migrated database records. */
const ALL_VERSIONS = MIGRATIONS.map((migration) => migration.version);

function facts(incidentId: string, runbookId: string): PostmortemFacts {
  return {
    incident: {
      id: incidentId,
      title: 'Leaked key',
      runbook: { id: runbookId, title: 'Leak', version: 1, contentHash: 'sha256:00' },
      severity: 'sev2',
      params: { host: 'web-1' },
      triggeredBy: 'alice',
      startedAt: T0,
      endedAt: '2026-05-01T11:00:00.000Z',
      durationMs: 3_600_000,
      outcome: 'completed',
    },
    impact: [],
    messages: [],
    timeline: [{ at: T0, type: 'incident.started', actor: 'alice', text: 'started' }],
    durations: { toResolutionMs: 3_600_000, deadlines: [] },
    compensations: [],
    timeZone: 'UTC',
  };
}

/** A NewPostmortem for a fresh incident; `runbookId` keeps each test's rows apart in the shared database. */
export function newPostmortem(overrides: Partial<NewPostmortem> = {}): NewPostmortem {
  const incidentId = overrides.incidentId ?? `inc-${randomUUID()}`;
  const runbookId = overrides.runbookId ?? `rb-${randomUUID().slice(0, 8)}`;
  return {
    incidentId,
    title: 'Leaked deploy key',
    runbookId,
    severity: 'sev2',
    startedAt: T0,
    endedAt: '2026-05-01T11:00:00.000Z',
    outcome: 'completed',
    facts: facts(incidentId, runbookId),
    people: { facilitators: ['alice'], reviewers: ['bob'], audience: ['role:all-staff'] },
    tags: [],
    createdBy: 'system',
    createdAt: T0,
    ...overrides,
  };
}

/** Registers the conformance tests for one adapter. */
export function runPostmortemStoreConformance(
  label: string,
  target: () => StoreTarget,
  options: StoreTargetOptions,
): void {
  describe(`${label} post-mortem store conformance`, () => {
    let store: PostmortemStore;
    beforeAll(async () => {
      store = await (await target().fresh()).open();
    });
    afterAll(async () => {
      await store.close();
    });

    describe('migrations', () => {
      it('migrates an empty database, and a second open is a no-op that keeps the data', async () => {
        const db = await target().fresh();
        const first = await db.open();
        const { postmortem } = await first.createPostmortem(newPostmortem());
        await first.close();
        const client = await db.client();
        const before = await client.query(
          'SELECT version, checksum, applied_at FROM firebreak_postmortems.schema_migrations',
        );
        await client.close();
        expect(before.map((row) => Number(row.version)).sort()).toEqual(ALL_VERSIONS);
        expect(String(before[0]?.checksum)).toMatch(/^[0-9a-f]{64}$/);
        const second = await db.open();
        expect((await second.getPostmortem(postmortem.id))?.incidentId).toBe(postmortem.incidentId);
        await second.close();
        const again = await db.client();
        const after = await again.query(
          'SELECT version, checksum, applied_at FROM firebreak_postmortems.schema_migrations',
        );
        await again.close();
        expect(after).toEqual(before);
      });

      it('refuses a database newer than the code, naming both versions, and changes nothing', async () => {
        const db = await target().fresh();
        await (await db.open()).close();
        const client = await db.client();
        await client.query(
          `INSERT INTO firebreak_postmortems.schema_migrations (version, name, checksum) VALUES ($1, 'future', 'x')`,
          [LATEST_VERSION + 1],
        );
        await client.close();
        const error = await expectCode(db.open(), ErrorCode.Conflict);
        expect(error.message).toContain(`schema version ${LATEST_VERSION + 1}`);
        expect(error.message).toContain(`(version ${LATEST_VERSION})`);
        const check = await db.client();
        const rows = await check.query('SELECT version FROM firebreak_postmortems.schema_migrations ORDER BY version');
        await check.close();
        expect(rows.map((row) => Number(row.version))).toEqual([...ALL_VERSIONS, LATEST_VERSION + 1]);
      });

      it('upgrades a version-1 database in place, keeping its post-mortems', async () => {
        const db = await target().fresh();
        const client = await db.client();
        const [v1] = MIGRATIONS;
        if (v1 === undefined) throw new Error('no migration 1');
        // Version 1 exactly as a release that knew only it applied it.
        await client.transaction(async (tx) => {
          await tx.query('CREATE SCHEMA firebreak_postmortems');
          await tx.query(
            `CREATE TABLE firebreak_postmortems.schema_migrations (
               version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
          );
          for (const statement of splitStatements(v1.sql)) await tx.query(statement);
          await tx.query(
            'INSERT INTO firebreak_postmortems.schema_migrations (version, name, checksum) VALUES (1, $1, $2)',
            [v1.name, migrationChecksum(v1)],
          );
          await tx.query(
            `INSERT INTO firebreak_postmortems.postmortems (id, incident_id, title, runbook_id, severity, status, started_at,
               ended_at, outcome, facts, people, tags, sections, search, created_by, created_at, updated_at)
             VALUES ('pm_old', 'inc-old', 'Old', 'rb-old', 'sev2', 'published', $1, $1, 'completed', '{}', $2, '{}', '{}',
               to_tsvector('english', 'Old'), 'system', $1, $1)`,
            [T0, JSON.stringify({ facilitators: [], reviewers: [], audience: [] })],
          );
          await tx.query(
            `INSERT INTO firebreak_postmortems.status_changes (postmortem_id, seq, to_status, actor, at, reason)
             VALUES ('pm_old', 1, 'published', 'alice', $1, 'acknowledged f1 (lessons line 1, "forgot"): quoted')`,
            [T0],
          );
        });
        await client.close();
        const upgraded = await db.open();
        expect(await upgraded.statusHistory('pm_old')).toEqual([
          { to: 'published', actor: 'alice', at: T0, reason: 'acknowledged f1 (lessons line 1, "forgot"): quoted' },
        ]);
        expect(await upgraded.fieldHistory('pm_old')).toEqual([]);
        await upgraded.close();
        const check = await db.client();
        const rows = await check.query('SELECT version FROM firebreak_postmortems.schema_migrations ORDER BY version');
        await check.close();
        expect(rows.map((row) => Number(row.version))).toEqual(ALL_VERSIONS);
      });

      it('refuses a database whose applied migration differs from the code (checksum)', async () => {
        const db = await target().fresh();
        await (await db.open()).close();
        const client = await db.client();
        await client.query(`UPDATE firebreak_postmortems.schema_migrations SET checksum = 'edited' WHERE version = 1`);
        await client.close();
        const error = await expectCode(db.open(), ErrorCode.Conflict);
        expect(error.message).toContain('checksum edited');
      });

      // Registered only where it applies: PGlite is opened by one process, one store at a time.
      if (options.concurrentOpens)
        it('applies each migration once when stores open one database at the same time', async () => {
          const db = await target().fresh();
          const stores = await Promise.all(Array.from({ length: 4 }, () => db.open()));
          await Promise.all(stores.map((opened) => opened.close()));
          const client = await db.client();
          const rows = await client.query(
            'SELECT version FROM firebreak_postmortems.schema_migrations ORDER BY version',
          );
          await client.close();
          expect(rows.map((row) => Number(row.version))).toEqual(ALL_VERSIONS);
        });
    });

    describe('post-mortems', () => {
      it('creates one per incident: a second create returns the first, created: false', async () => {
        const input = newPostmortem({ tags: ['keys', 'keys', 'rotation'] });
        const first = await store.createPostmortem(input);
        expect(first.created).toBe(true);
        expect(first.postmortem).toMatchObject({
          incidentId: input.incidentId,
          status: 'draft',
          tags: ['keys', 'rotation'],
        });
        expect(first.postmortem.sections.lessons).toEqual({ text: '', revision: 0 });
        expect(first.postmortem.facts).toEqual(input.facts);
        const second = await store.createPostmortem({ ...input, title: 'Another title' });
        expect(second).toEqual({ postmortem: first.postmortem, created: false });
        expect(await store.getByIncident(input.incidentId)).toEqual(first.postmortem);
        expect(await store.statusHistory(first.postmortem.id)).toEqual([{ to: 'draft', actor: 'system', at: T0 }]);
      });

      it('keeps one row under concurrent creates for one incident', async () => {
        const input = newPostmortem();
        const results = await Promise.all(Array.from({ length: 8 }, () => store.createPostmortem(input)));
        expect(results.filter((result) => result.created)).toHaveLength(1);
        expect(new Set(results.map((result) => result.postmortem.id)).size).toBe(1);
        const listed = await store.listPostmortems({ runbook: input.runbookId });
        expect(listed.items).toHaveLength(1);
      });

      it('refuses bad input with the field named, writing nothing', async () => {
        const long = newPostmortem({ title: 'x'.repeat(STORE_LIMITS.titleChars + 1) });
        const error = await expectCode(store.createPostmortem(long), ErrorCode.InvalidInput);
        expect(error.message).toMatch(/^createPostmortem: title: must be at most 300 characters/);
        const tags = Array.from({ length: STORE_LIMITS.tags + 1 }, (_, i) => `t${i}`);
        expect((await expectCode(store.createPostmortem(newPostmortem({ tags })), 'INVALID_INPUT')).message).toContain(
          'tags',
        );
        const badTime = newPostmortem({ startedAt: 'yesterday' });
        expect((await expectCode(store.createPostmortem(badTime), 'INVALID_INPUT')).message).toContain('startedAt');
        expect(await store.getByIncident(long.incidentId)).toBeUndefined();
      });

      it('lists with filters and pages with a cursor, newest first', async () => {
        const runbookId = `rb-${randomUUID().slice(0, 8)}`;
        const ids: string[] = [];
        for (let i = 0; i < 5; i += 1) {
          const created = await store.createPostmortem(
            newPostmortem({
              runbookId,
              severity: i % 2 === 0 ? 'sev1' : 'sev3',
              startedAt: `2026-05-0${i + 1}T00:00:00.000Z`,
              createdAt: `2026-05-0${i + 1}T12:00:00.000Z`,
              tags: i === 4 ? ['db'] : [],
            }),
          );
          ids.push(created.postmortem.id);
        }
        const page1 = await store.listPostmortems({ runbook: runbookId, limit: 2 });
        expect(page1.items.map((item) => item.id)).toEqual([ids[4], ids[3]]);
        const page2 = await store.listPostmortems({ runbook: runbookId, limit: 2, cursor: page1.nextCursor });
        const page3 = await store.listPostmortems({ runbook: runbookId, limit: 2, cursor: page2.nextCursor });
        expect([...page2.items, ...page3.items].map((item) => item.id)).toEqual([ids[2], ids[1], ids[0]]);
        expect(page3.nextCursor).toBeUndefined();
        const sev1 = await store.listPostmortems({ runbook: runbookId, severity: 'sev1' });
        expect(sev1.items).toHaveLength(3);
        const period = await store.listPostmortems({
          runbook: runbookId,
          since: '2026-05-02T00:00:00Z',
          until: '2026-05-04T00:00:00Z',
        });
        expect(period.items.map((item) => item.id)).toEqual([ids[2], ids[1]]);
        expect((await store.listPostmortems({ runbook: runbookId, tag: 'db' })).items.map((item) => item.id)).toEqual([
          ids[4],
        ]);
        expect((await store.listPostmortems({ runbook: runbookId, status: 'published' })).items).toEqual([]);
        await expectCode(store.listPostmortems({ cursor: 'not-a-cursor' }), ErrorCode.InvalidInput);
        await expectCode(store.listPostmortems({ limit: STORE_LIMITS.maxLimit + 1 }), ErrorCode.InvalidInput);
      });

      it('adds and removes tags in one step, keeps each real change, and refuses more than it keeps', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem({ tags: ['keys'] }));
        const at = '2026-05-02T00:00:00Z';
        const tagged = await store.updateTags(
          postmortem.id,
          { add: ['rotation', ' vendor'], remove: ['keys'] },
          {
            actor: 'bob',
            at,
          },
        );
        expect(tagged.tags).toEqual(['rotation', 'vendor']);
        // Nothing to change: no history entry.
        await store.updateTags(postmortem.id, { add: ['rotation'], remove: ['absent'] }, { actor: 'bob', at });
        // Removal wins over an add of the same tag.
        const both = await store.updateTags(
          postmortem.id,
          { add: ['vendor'], remove: ['vendor'] },
          { actor: 'alice', at },
        );
        expect(both.tags).toEqual(['rotation']);
        const many = Array.from({ length: STORE_LIMITS.tags }, (_, index) => `t${index}`);
        const error = await expectCode(
          store.updateTags(postmortem.id, { add: many }, { actor: 'alice', at }),
          ErrorCode.InvalidInput,
        );
        expect(error.message).toContain(`would have ${STORE_LIMITS.tags + 1} tags`);
        expect(
          (await store.search('rotation', { runbook: postmortem.runbookId })).map((hit) => hit.postmortem.id),
        ).toEqual([postmortem.id]);
        expect(await store.fieldHistory(postmortem.id)).toEqual([
          { field: 'tags', value: ['rotation', 'vendor'], actor: 'bob', at: '2026-05-02T00:00:00.000Z' },
          { field: 'tags', value: ['rotation'], actor: 'alice', at: '2026-05-02T00:00:00.000Z' },
        ]);
        await expectCode(store.updateTags('missing', { add: ['x'] }, { actor: 'a', at }), ErrorCode.NotFound);
      });

      it('treats inherited property names as ordinary ids and tags', async () => {
        const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
        expect(await store.getPostmortem('constructor')).toBeUndefined();
        expect(await store.getByIncident('__proto__')).toBeUndefined();
        const input = newPostmortem({ incidentId: `constructor-${randomUUID()}`, tags: names });
        const { postmortem } = await store.createPostmortem(input);
        expect(postmortem.tags).toEqual(names);
        const listed = await store.listPostmortems({ runbook: input.runbookId, tag: '__proto__' });
        expect(listed.items.map((item) => item.id)).toEqual([postmortem.id]);
        const retagged = await store.setTags(postmortem.id, [' valueOf ', 'constructor', 'valueOf'], {
          actor: 'alice',
          at: T0,
        });
        expect(retagged.tags).toEqual(['valueOf', 'constructor']);
        expect(await store.fieldHistory(postmortem.id)).toEqual([
          { field: 'tags', value: ['valueOf', 'constructor'], actor: 'alice', at: T0 },
        ]);
        // JSON names are data too: a `__proto__` param survives the round trip and pollutes nothing.
        const params = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "x"}') as Record<string, never>;
        const item = await store.addActionItem({
          postmortemId: postmortem.id,
          title: 'Proto params',
          owner: 'constructor',
          priority: 'p4',
          verify: { runbook: 'drill-keys', params },
          createdBy: 'alice',
          createdAt: T0,
        });
        const stored = (await store.getActionItem(item.id))?.verify?.params ?? {};
        expect(Object.keys(stored).sort()).toEqual(['__proto__', 'constructor']);
        expect(JSON.stringify(stored)).toBe('{"__proto__":{"polluted":true},"constructor":"x"}');
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect((await store.listActionItems({ owner: 'constructor', postmortemId: postmortem.id })).items).toHaveLength(
          1,
        );
        await expectCode(
          store.editSection('constructor', 'lessons', 'x', { author: 'a', at: T0, baseRevision: 0 }),
          'NOT_FOUND',
        );
        await expectCode(
          store
            .getActionItem('__proto__')
            .then((item) => item ?? Promise.reject(new FirebreakError(ErrorCode.NotFound, 'none'))),
          'NOT_FOUND',
        );
      });
    });

    describe('sections', () => {
      it('keeps every revision with author and time; a stale base is a CONFLICT naming the current revision', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem());
        const r1 = await store.editSection(postmortem.id, 'lessons', 'Rotate keys weekly.', {
          author: 'alice',
          at: '2026-05-02T09:00:00Z',
          baseRevision: 0,
        });
        expect(r1).toEqual({
          section: 'lessons',
          revision: 1,
          text: 'Rotate keys weekly.',
          author: 'alice',
          at: '2026-05-02T09:00:00.000Z',
        });
        await store.editSection(postmortem.id, 'lessons', 'Rotate keys daily.', {
          author: 'bob',
          at: '2026-05-02T10:00:00Z',
          baseRevision: 1,
        });
        const error = await expectCode(
          store.editSection(postmortem.id, 'lessons', 'Carol was here.', {
            author: 'carol',
            at: '2026-05-02T11:00:00Z',
            baseRevision: 1,
          }),
          ErrorCode.Conflict,
        );
        expect(error.message).toContain('at revision 2 by bob at 2026-05-02T10:00:00.000Z, not 1');
        const history = await store.sectionHistory(postmortem.id, 'lessons');
        expect(history.map((revision) => [revision.revision, revision.author, revision.text])).toEqual([
          [1, 'alice', 'Rotate keys weekly.'],
          [2, 'bob', 'Rotate keys daily.'],
        ]);
        const current = await store.getPostmortem(postmortem.id);
        expect(current?.sections.lessons).toMatchObject({ text: 'Rotate keys daily.', revision: 2, author: 'bob' });
        await store.editSection(postmortem.id, 'summary', 'A key leaked.', {
          author: 'alice',
          at: '2026-05-03T00:00:00Z',
          baseRevision: 0,
        });
        expect((await store.sectionHistory(postmortem.id)).map((revision) => revision.section)).toEqual([
          'lessons',
          'lessons',
          'summary',
        ]);
        // A clock that went back does not reorder one section's revisions.
        await store.editSection(postmortem.id, 'lessons', 'Rotate keys hourly.', {
          author: 'carol',
          at: '2026-05-01T00:00:00Z',
          baseRevision: 2,
        });
        const lessons = await store.sectionHistory(postmortem.id, 'lessons');
        expect(lessons.map((revision) => revision.revision)).toEqual([1, 2, 3]);
      });

      it('lets one of two concurrent edits on the same revision win; the other is a CONFLICT and not written', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem());
        const edits = await Promise.allSettled(
          ['first writer', 'second writer'].map((text, i) =>
            store.editSection(postmortem.id, 'what-happened', text, { author: `w${i}`, at: T0, baseRevision: 0 }),
          ),
        );
        const won = edits.filter((edit) => edit.status === 'fulfilled');
        const lost = edits.filter((edit): edit is PromiseRejectedResult => edit.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect((lost[0]?.reason as FirebreakError).code).toBe(ErrorCode.Conflict);
        const history = await store.sectionHistory(postmortem.id, 'what-happened');
        expect(history).toHaveLength(1);
        expect(history[0]?.text).toBe((won[0] as PromiseFulfilledResult<{ text: string }>).value.text);
      });

      it('refuses a section too large, an unknown section and control characters, writing nothing', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem());
        const context = { author: 'alice', at: T0, baseRevision: 0 };
        const big = 'é'.repeat(STORE_LIMITS.sectionBytes / 2 + 1);
        expect(
          (await expectCode(store.editSection(postmortem.id, 'lessons', big, context), 'INVALID_INPUT')).message,
        ).toContain('text');
        await expectCode(
          store.editSection(postmortem.id, 'epilogue' as 'lessons', 'x', context),
          ErrorCode.InvalidInput,
        );
        await expectCode(store.editSection(postmortem.id, 'lessons', 'nul\u0000', context), ErrorCode.InvalidInput);
        expect(await store.sectionHistory(postmortem.id)).toEqual([]);
        await expectCode(store.sectionHistory('no-such-id'), ErrorCode.NotFound);
      });
    });

    describe('status', () => {
      it('moves by compare-and-set and keeps who moved it, when, from and to', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem());
        const moved = await store.setStatus(postmortem.id, {
          from: 'draft',
          to: 'in-review',
          actor: 'alice',
          at: '2026-05-02T00:00:00Z',
        });
        expect(moved.status).toBe('in-review');
        const error = await expectCode(
          store.setStatus(postmortem.id, { from: 'draft', to: 'in-review', actor: 'bob', at: '2026-05-02T01:00:00Z' }),
          ErrorCode.Conflict,
        );
        expect(error.message).toContain('is in-review (set by alice at 2026-05-02T00:00:00.000Z), not draft');
        await expectCode(
          store.setStatus(postmortem.id, { from: 'in-review', to: 'in-review', actor: 'bob', at: T0 }),
          ErrorCode.InvalidInput,
        );
        await store.setStatus(postmortem.id, {
          from: 'in-review',
          to: 'published',
          actor: 'bob',
          at: '2026-05-03T00:00:00Z',
        });
        await store.setStatus(postmortem.id, {
          from: 'published',
          to: 'draft',
          actor: 'bob',
          at: '2026-05-04T00:00:00Z',
          reason: 'new facts',
        });
        expect(await store.statusHistory(postmortem.id)).toEqual([
          { to: 'draft', actor: 'system', at: T0 },
          { from: 'draft', to: 'in-review', actor: 'alice', at: '2026-05-02T00:00:00.000Z' },
          { from: 'in-review', to: 'published', actor: 'bob', at: '2026-05-03T00:00:00.000Z' },
          { from: 'published', to: 'draft', actor: 'bob', at: '2026-05-04T00:00:00.000Z', reason: 'new facts' },
        ]);
        await expectCode(
          store.setStatus('missing', { from: 'draft', to: 'in-review', actor: 'a', at: T0 }),
          ErrorCode.NotFound,
        );
      });

      it('records each acknowledged flag with the publication, however many and however long their reasons', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem());
        await store.setStatus(postmortem.id, { from: 'draft', to: 'in-review', actor: 'alice', at: T0 });
        const acknowledgements = Array.from({ length: 12 }, (_, index) => ({
          flag: `f${String(index).padStart(2, '0')}`,
          section: 'what-happened' as const,
          line: index + 1,
          column: 3,
          phrase: 'forgot',
          reason: `a quotation from the attacker's note, kept verbatim ${index} `.padEnd(STORE_LIMITS.reasonChars, '.'),
        }));
        const tooMany = Array.from({ length: STORE_LIMITS.acknowledgements + 1 }, (_, index) => ({
          ...acknowledgements[0]!,
          flag: `g${index}`,
        }));
        const move = { from: 'in-review' as const, to: 'published' as const, actor: 'bob', at: '2026-05-02T00:00:00Z' };
        for (const bad of [
          tooMany,
          [acknowledgements[0]!, acknowledgements[0]!],
          [{ ...acknowledgements[0]!, reason: '' }],
        ]) {
          await expectCode(store.setStatus(postmortem.id, { ...move, acknowledgements: bad }), ErrorCode.InvalidInput);
        }
        expect((await store.getPostmortem(postmortem.id))?.status).toBe('in-review');
        await store.setStatus(postmortem.id, { ...move, reason: 'reviewed with legal', acknowledgements });
        const history = await store.statusHistory(postmortem.id);
        expect(history.at(-1)).toEqual({
          from: 'in-review',
          to: 'published',
          actor: 'bob',
          at: '2026-05-02T00:00:00.000Z',
          reason: 'reviewed with legal',
          acknowledgements,
        });
        expect(history.slice(0, -1).every((change) => change.acknowledgements === undefined)).toBe(true);
      });

      it('publishes only the texts that were checked, and keeps a published post-mortem from edits', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem());
        const at = '2026-05-02T00:00:00Z';
        await store.editSection(postmortem.id, 'lessons', 'Rotate keys by automation.', {
          author: 'alice',
          at,
          baseRevision: 0,
        });
        await store.setStatus(postmortem.id, { from: 'draft', to: 'in-review', actor: 'alice', at });
        const checked = { lessons: 1, summary: 0 };
        // An edit lands between the check and the move: the move is refused and nothing changes.
        await store.editSection(postmortem.id, 'lessons', 'Bob forgot to rotate.', {
          author: 'bob',
          at,
          baseRevision: 1,
        });
        const error = await expectCode(
          store.setStatus(postmortem.id, { from: 'in-review', to: 'published', actor: 'carol', at, sections: checked }),
          ErrorCode.Conflict,
        );
        expect(error.message).toContain('section lessons of post-mortem');
        expect((await store.getPostmortem(postmortem.id))?.status).toBe('in-review');
        const published = await store.setStatus(postmortem.id, {
          from: 'in-review',
          to: 'published',
          actor: 'carol',
          at,
          sections: { lessons: 2, summary: 0 },
        });
        expect(published.status).toBe('published');
        const frozen = await expectCode(
          store.editSection(postmortem.id, 'summary', 'Late edit.', { author: 'bob', at, baseRevision: 0 }),
          ErrorCode.Conflict,
        );
        expect(frozen.message).toContain('is published: reopen it to edit summary');
        expect(await store.sectionHistory(postmortem.id, 'summary')).toEqual([]);
      });
    });

    describe('review due date', () => {
      it('sets, moves and clears the review date; a published post-mortem is a CONFLICT and keeps its date', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem({ reviewDueAt: '2026-05-06T10:00:00Z' }));
        const context = { actor: 'alice', at: '2026-05-02T00:00:00Z' };
        const moved = await store.setReviewDue(postmortem.id, '2026-05-20T09:00:00+02:00', context);
        expect(moved.reviewDueAt).toBe('2026-05-20T07:00:00.000Z');
        expect(moved.updatedAt).toBe('2026-05-02T00:00:00.000Z');
        expect((await store.getPostmortem(postmortem.id))?.reviewDueAt).toBe('2026-05-20T07:00:00.000Z');
        expect((await store.setReviewDue(postmortem.id, undefined, context)).reviewDueAt).toBeUndefined();
        await store.setReviewDue(postmortem.id, '2026-05-21T00:00:00Z', context);
        await store.setStatus(postmortem.id, { from: 'draft', to: 'in-review', actor: 'alice', at: context.at });
        await store.setStatus(postmortem.id, { from: 'in-review', to: 'published', actor: 'bob', at: context.at });
        const error = await expectCode(
          store.setReviewDue(postmortem.id, '2026-06-01T00:00:00Z', context),
          ErrorCode.Conflict,
        );
        expect(error.message).toContain('is published: reopen it to set a review date');
        expect((await store.getPostmortem(postmortem.id))?.reviewDueAt).toBe('2026-05-21T00:00:00.000Z');
        const at = '2026-05-02T00:00:00.000Z';
        expect(await store.fieldHistory(postmortem.id)).toEqual([
          { field: 'reviewDueAt', value: '2026-05-20T07:00:00.000Z', actor: 'alice', at },
          { field: 'reviewDueAt', value: null, actor: 'alice', at },
          { field: 'reviewDueAt', value: '2026-05-21T00:00:00.000Z', actor: 'alice', at },
        ]);
      });

      it('refuses a bad date, actor or unknown id, changing nothing', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem({ reviewDueAt: '2026-05-06T10:00:00Z' }));
        const context = { actor: 'alice', at: '2026-05-02T00:00:00Z' };
        const bad = await expectCode(
          store.setReviewDue(postmortem.id, 'next tuesday', context),
          ErrorCode.InvalidInput,
        );
        expect(bad.message).toContain('setReviewDue: expected an ISO 8601 instant');
        await expectCode(
          store.setReviewDue(postmortem.id, '2026-05-09T00:00:00Z', { actor: 'a\nb', at: context.at }),
          ErrorCode.InvalidInput,
        );
        await expectCode(store.setReviewDue('missing', '2026-05-09T00:00:00Z', context), ErrorCode.NotFound);
        expect((await store.getPostmortem(postmortem.id))?.reviewDueAt).toBe('2026-05-06T10:00:00.000Z');
      });

      it('lists the overdue ones as of a time: due before it and not published', async () => {
        const runbookId = `rb-${randomUUID().slice(0, 8)}`;
        const create = async (reviewDueAt?: string) =>
          (await store.createPostmortem(newPostmortem({ runbookId, ...(reviewDueAt ? { reviewDueAt } : {}) })))
            .postmortem;
        const late = await create('2026-05-05T00:00:00Z');
        const soon = await create('2026-05-20T00:00:00Z');
        await create();
        const published = await create('2026-05-04T00:00:00Z');
        const at = '2026-05-02T00:00:00Z';
        await store.setStatus(published.id, { from: 'draft', to: 'in-review', actor: 'alice', at });
        await store.setStatus(published.id, { from: 'in-review', to: 'published', actor: 'alice', at });
        const inReview = await create('2026-05-06T00:00:00Z');
        await store.setStatus(inReview.id, { from: 'draft', to: 'in-review', actor: 'alice', at });
        const overdue = await store.listPostmortems({ runbook: runbookId, overdueAt: '2026-05-10T00:00:00Z' });
        expect(overdue.items.map((p) => p.id).sort()).toEqual([late.id, inReview.id].sort());
        expect(overdue.items.map((p) => p.id)).not.toContain(soon.id);
        const none = await store.listPostmortems({ runbook: runbookId, overdueAt: '2026-05-01T00:00:00Z' });
        expect(none.items).toEqual([]);
        await expectCode(store.listPostmortems({ overdueAt: 'yesterday' }), ErrorCode.InvalidInput);
      });
    });

    describe('action items', () => {
      it('adds, reads and updates by compare-and-set, with won’t-do needing a reason and runs recorded', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem());
        const item = await store.addActionItem({
          postmortemId: postmortem.id,
          title: 'Rotate the deploy key',
          owner: 'role:sre',
          dueAt: '2026-05-10T00:00:00Z',
          priority: 'p1',
          trackerUrl: 'https://tracker.example/T-1',
          verify: { runbook: 'drill-keys', params: { constructor: 'x', n: 1 } },
          createdBy: 'alice',
          createdAt: T0,
        });
        expect(item).toMatchObject({
          status: 'open',
          version: 1,
          owner: 'role:sre',
          dueAt: '2026-05-10T00:00:00.000Z',
          runs: [],
        });
        expect(await store.getActionItem(item.id)).toEqual(item);
        const done = await store.updateActionItem(item.id, {
          baseVersion: 1,
          actor: 'bob',
          at: '2026-05-05T00:00:00Z',
          patch: { status: 'done', trackerUrl: null },
          run: { incidentId: 'inc-drill-1', result: 'failed', at: '2026-05-05T00:00:00Z' },
        });
        expect(done).toMatchObject({
          status: 'done',
          version: 2,
          updatedBy: 'bob',
          runs: [{ incidentId: 'inc-drill-1', result: 'failed' }],
        });
        expect(done.trackerUrl).toBeUndefined();
        expect(done.verify).toEqual({ runbook: 'drill-keys', params: { constructor: 'x', n: 1 } });
        const stale = await expectCode(
          store.updateActionItem(item.id, { baseVersion: 1, actor: 'carol', at: T0, patch: { title: 'lost' } }),
          ErrorCode.Conflict,
        );
        expect(stale.message).toContain('at version 2 (updated by bob');
        await expectCode(
          store.updateActionItem(item.id, { baseVersion: 2, actor: 'carol', at: T0, patch: { status: 'wont-do' } }),
          ErrorCode.InvalidInput,
        );
        expect((await store.getActionItem(item.id))?.title).toBe('Rotate the deploy key');
        const wontDo = await store.updateActionItem(item.id, {
          baseVersion: 2,
          actor: 'carol',
          at: T0,
          patch: { status: 'wont-do', statusReason: 'service retired' },
          run: { incidentId: 'inc-drill-2', result: 'passed', at: '2026-05-06T00:00:00Z' },
        });
        expect(wontDo).toMatchObject({ status: 'wont-do', statusReason: 'service retired', version: 3 });
        expect(wontDo.runs.map((run) => run.incidentId)).toEqual(['inc-drill-1', 'inc-drill-2']);
        const reopened = await store.updateActionItem(item.id, {
          baseVersion: 3,
          actor: 'carol',
          at: T0,
          patch: { status: 'open' },
        });
        expect(reopened.statusReason).toBeUndefined();
        // A run started and not yet settled is recorded as pending; the settled result follows as its own run.
        const pending = await store.updateActionItem(item.id, {
          baseVersion: 4,
          actor: 'dave',
          at: T0,
          patch: { status: 'done' },
          run: { incidentId: 'inc-drill-3', result: 'pending', at: '2026-05-07T00:00:00Z' },
        });
        expect(pending.runs.at(-1)).toEqual({
          incidentId: 'inc-drill-3',
          result: 'pending',
          at: '2026-05-07T00:00:00.000Z',
        });
        await expectCode(
          store.updateActionItem(item.id, {
            baseVersion: 5,
            actor: 'dave',
            at: T0,
            patch: {},
            run: { incidentId: 'inc-drill-3', result: 'running' as 'pending', at: T0 },
          }),
          ErrorCode.InvalidInput,
        );
      });

      it('refuses bad action items: unknown post-mortem, bad owner, priority, URL and verify', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem());
        const base = {
          postmortemId: postmortem.id,
          title: 'x',
          owner: 'alice',
          priority: 'p2' as const,
          createdBy: 'a',
          createdAt: T0,
        };
        await expectCode(store.addActionItem({ ...base, postmortemId: 'constructor' }), ErrorCode.NotFound);
        expect((await expectCode(store.addActionItem({ ...base, owner: 'role:' }), 'INVALID_INPUT')).message).toContain(
          'owner',
        );
        await expectCode(store.addActionItem({ ...base, priority: 'p9' as 'p1' }), ErrorCode.InvalidInput);
        await expectCode(store.addActionItem({ ...base, trackerUrl: 'javascript:alert(1)' }), ErrorCode.InvalidInput);
        await expectCode(
          store.addActionItem({ ...base, verify: { runbook: 'Bad Id', params: {} } }),
          ErrorCode.InvalidInput,
        );
        await expectCode(store.addActionItem({ ...base, status: 'wont-do' }), ErrorCode.InvalidInput);
        expect((await store.listActionItems({ postmortemId: postmortem.id })).items).toEqual([]);
      });

      it('lists by owner, status, post-mortem and overdue as of a time, in pages', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem());
        const owner = `u${randomUUID().slice(0, 8)}`;
        const add = (title: string, dueAt: string | undefined, status: 'open' | 'in-progress' | 'done') =>
          store.addActionItem({
            postmortemId: postmortem.id,
            title,
            owner,
            priority: 'p3',
            status,
            createdBy: 'a',
            createdAt: T0,
            ...(dueAt === undefined ? {} : { dueAt }),
          });
        const late = await add('late', '2026-05-02T00:00:00Z', 'open');
        const lateWorking = await add('late, in progress', '2026-05-03T00:00:00Z', 'in-progress');
        const lateDone = await add('late but done', '2026-05-02T00:00:00Z', 'done');
        const future = await add('not yet due', '2026-06-01T00:00:00Z', 'open');
        const undated = await add('no due date', undefined, 'open');
        const titles = (page: { items: { title: string }[] }) => page.items.map((item) => item.title).sort();
        expect(titles(await store.listActionItems({ owner, overdueAt: '2026-05-10T00:00:00Z' }))).toEqual(
          [late.title, lateWorking.title].sort(),
        );
        expect(titles(await store.listActionItems({ owner, status: 'done' }))).toEqual([lateDone.title]);
        expect(titles(await store.listActionItems({ owner, status: ['open', 'done'] }))).toEqual(
          [late.title, lateDone.title, future.title, undated.title].sort(),
        );
        expect((await store.listActionItems({ postmortemId: postmortem.id })).items).toHaveLength(5);
        const first = await store.listActionItems({ owner, limit: 3 });
        const rest = await store.listActionItems({ owner, limit: 3, cursor: first.nextCursor });
        expect(first.items).toHaveLength(3);
        expect(rest.items).toHaveLength(2);
        expect(new Set([...first.items, ...rest.items].map((item) => item.id)).size).toBe(5);
        expect(rest.nextCursor).toBeUndefined();
        expect((await store.listActionItems({ owner: 'hasOwnProperty' })).items).toEqual([]);
      });

      it('lists the items of any of several owners (a person and their roles), and refuses a bad one', async () => {
        const { postmortem } = await store.createPostmortem(newPostmortem());
        const person = `u${randomUUID().slice(0, 8)}`;
        const role = `role:r${randomUUID().slice(0, 8)}`;
        const add = (title: string, owner: string) =>
          store.addActionItem({
            postmortemId: postmortem.id,
            title,
            owner,
            priority: 'p3',
            createdBy: 'a',
            createdAt: T0,
          });
        await add('in person', person);
        await add('through the role', role);
        await add('someone else’s', `x${person}`);
        const titles = (page: { items: { title: string }[] }) => page.items.map((item) => item.title).sort();
        expect(titles(await store.listActionItems({ owners: [person, role] }))).toEqual([
          'in person',
          'through the role',
        ]);
        expect(titles(await store.listActionItems({ owners: [role], owner: person }))).toEqual([]);
        expect((await store.listActionItems({ owners: [] })).items).toEqual([]);
        await expectCode(store.listActionItems({ owners: [person, 'role:'] }), 'INVALID_INPUT');
      });
    });

    describe('search', () => {
      async function seed(runbookId: string) {
        const strong = (
          await store.createPostmortem(
            newPostmortem({
              runbookId,
              title: 'Credential rotation failed during the leak',
              severity: 'sev1',
              tags: ['keys'],
            }),
          )
        ).postmortem;
        await store.editSection(
          strong.id,
          'lessons',
          'Automate credential rotation. Test credential rotation in every drill.',
          {
            author: 'alice',
            at: T0,
            baseRevision: 0,
          },
        );
        const weak = (
          await store.createPostmortem(
            newPostmortem({ runbookId, title: 'Disk filled up', severity: 'sev3', startedAt: '2026-06-01T00:00:00Z' }),
          )
        ).postmortem;
        await store.editSection(weak.id, 'what-happened', 'Logs grew; a credential was mentioned in passing.', {
          author: 'bob',
          at: T0,
          baseRevision: 0,
        });
        return { strong, weak };
      }

      it('ranks the better match first and highlights the matched words in snippets', async () => {
        const runbook = `rb-${randomUUID().slice(0, 8)}`;
        const { strong, weak } = await seed(runbook);
        const hits = await store.search('credential rotation', { runbook });
        expect(hits.map((hit) => hit.postmortem.id)).toEqual([strong.id]);
        const broad = await store.search('credential', { runbook });
        expect(broad.map((hit) => hit.postmortem.id)).toEqual([strong.id, weak.id]);
        expect(broad[0]?.rank).toBeGreaterThan(broad[1]?.rank ?? Infinity);
        const lessons = broad[0]?.snippets.find((snippet) => snippet.section === 'lessons');
        expect(lessons?.text).toContain('Automate credential rotation');
        const marked = lessons?.highlights.map(({ start, end }) => lessons.text.slice(start, end));
        expect(marked?.length).toBeGreaterThan(0);
        expect(new Set(marked)).toEqual(new Set(['credential']));
        expect(broad[0]?.snippets[0]?.section).toBe('title');
        expect(broad[1]?.snippets.map((snippet) => snippet.section)).toEqual(['what-happened']);
        // Stemming: the same words in another form match.
        expect((await store.search('rotating credentials', { runbook })).map((hit) => hit.postmortem.id)).toEqual([
          strong.id,
        ]);
      });

      it('filters by runbook, severity, tag and period, and reads web-search syntax', async () => {
        const runbook = `rb-${randomUUID().slice(0, 8)}`;
        const { strong, weak } = await seed(runbook);
        const ids = async (query: string, filter: Parameters<PostmortemStore['search']>[1]) =>
          (await store.search(query, { runbook, ...filter })).map((hit) => hit.postmortem.id);
        expect(await ids('credential', { severity: 'sev3' })).toEqual([weak.id]);
        expect(await ids('credential', { tag: 'keys' })).toEqual([strong.id]);
        expect(await ids('credential', { since: '2026-05-15T00:00:00Z' })).toEqual([weak.id]);
        expect(await ids('credential', { until: '2026-05-15T00:00:00Z' })).toEqual([strong.id]);
        expect(await store.search('credential', { runbook: 'rb-none' })).toEqual([]);
        expect(await ids('credential -rotation', {})).toEqual([weak.id]);
        expect(await ids('"passing credential"', {})).toEqual([]);
        expect(await ids('"credential rotation" or disk', {})).toHaveLength(2);
      });

      it('searches tags and keeps SQL-shaped queries as text', async () => {
        const runbook = `rb-${randomUUID().slice(0, 8)}`;
        const { strong } = await seed(runbook);
        expect((await store.search('keys', { runbook })).map((hit) => hit.postmortem.id)).toEqual([strong.id]);
        for (const query of [
          "'; DROP TABLE firebreak_postmortems.postmortems; --",
          "credential' OR '1'='1",
          '$1) OR true --',
          '!!! & | :* ( )',
          'constructor __proto__',
        ]) {
          const hits = await store.search(query, { runbook });
          expect(hits.every((hit) => hit.postmortem.runbookId === runbook)).toBe(true);
        }
        // Concatenated into SQL this would match every row; as search text it is three words that match none.
        expect(await store.search("nomatch' OR 'a'='a", { runbook })).toEqual([]);
        expect(await store.search('credential', { runbook })).toHaveLength(2);
        await expectCode(store.search('   '), ErrorCode.InvalidInput);
        await expectCode(store.search('x'.repeat(STORE_LIMITS.queryChars + 1)), ErrorCode.InvalidInput);
      });
    });
  });
}
