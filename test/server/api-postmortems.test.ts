/**
 * Post-mortems through the API, against the real dev server (incidents, and so who may read them) and an
 * in-memory PGlite store seeded with drafts of a captured incident: who may read, edit and move them,
 * edits that conflict, the blameless check at review and publication, exports, history, search, and the
 * 503 of a server without a store.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draftPostmortem } from '../../src/postmortems/draft.js';
import {
  lazyPostmortemStore,
  openPgliteStore,
  STORE_LIMITS,
  type PostmortemStore,
} from '../../src/postmortems/store/index.js';
import type { NewPostmortem } from '../../src/postmortems/types.js';
import { draftOptions, fixture } from '../unit/postmortems/fixtures.js';
import { buildHarness, startApiTest, type ApiTest, type ApiUser } from './support.js';

const suffix = randomBytes(3).toString('hex');
const runbookId = `pm-api-${suffix}`;

// alice (commander) and bob (security) run the post-mortem; carol (legal) reads the incident but has no part.
const runbook = `
apiVersion: firebreak/v1
id: ${runbookId}
title: Leaked key
version: 1
severity: sev2
roles:
  commander: {}
  security: {}
  legal: {}
steps:
  - { id: hold, title: Hold, task: Wait, assignee: role:commander }
`;

let test: ApiTest;
let store: PostmortemStore;
let pm1: string; // the triggered incident's: alice facilitates, bob reviews
let pm2: string; // an incident Temporal does not know (any more): triggered by dana, nobody named

async function draft(overrides: Partial<NewPostmortem>): Promise<NewPostmortem> {
  const { state, plan } = await fixture('tabletop');
  return { ...draftPostmortem(state, plan, draftOptions), ...overrides };
}

beforeAll(async () => {
  store = await openPgliteStore('memory');
  const lazy = lazyPostmortemStore(() => Promise.resolve(store));
  test = await startApiTest({
    yaml: [runbook],
    postmortems: lazy,
    postmortemsConfig: {
      requiredFor: ['sev1'],
      timeZone: 'UTC',
      blamelessWords: ['dropped the ball'],
    },
  });
  const incidentId = await test.api.trigger('alice', runbookId);
  const first = await draft({
    incidentId,
    runbookId,
    title: 'Leaked deploy key',
    people: { facilitators: ['alice'], reviewers: ['bob'], audience: ['all@example.com'] },
    tags: ['keys'],
  });
  pm1 = (await store.createPostmortem(first)).postmortem.id;
  const second = await draft({
    incidentId: `gone-${suffix}`,
    title: 'An old outage',
    people: { facilitators: [], reviewers: [], audience: [] },
  });
  second.facts = { ...second.facts, incident: { ...second.facts.incident, triggeredBy: 'dana' } };
  pm2 = (await store.createPostmortem(second)).postmortem.id;
});

afterAll(async () => {
  await test?.close();
  await store?.close();
});

const get = (as: ApiUser, url: string) => test.api.call(as, { method: 'GET', url: `/api/v1${url}` });
const edit = (as: ApiUser, id: string, section: string, text: string, baseRevision: number) =>
  test.api.call(as, {
    method: 'PUT',
    url: `/api/v1/postmortems/${id}/sections/${section}`,
    payload: { text, baseRevision },
  });
const move = (as: ApiUser, id: string, body: object) =>
  test.api.call(as, { method: 'POST', url: `/api/v1/postmortems/${id}/status`, payload: body });

describe('reading', () => {
  it('lets the incident’s readers and the post-mortem’s people read it, and tells anyone else it does not exist', async () => {
    for (const user of ['alice', 'bob', 'carol'] as const)
      expect((await get(user, `/postmortems/${pm1}`)).statusCode).toBe(200);
    const shown = (await get('alice', `/postmortems/${pm1}`)).json<{
      postmortem: { incidentId: string; sections: object };
    }>();
    expect(shown.postmortem.sections).toHaveProperty('summary', { text: '', revision: 0 });

    const refused = await get('mallory', `/postmortems/${pm1}`);
    const unknown = await get('mallory', `/postmortems/no-such-${suffix}`);
    expect(refused.statusCode).toBe(404);
    expect(refused.body.replace(pm1, 'ID')).toBe(unknown.body.replace(`no-such-${suffix}`, 'ID'));
    for (const path of ['export', 'history'])
      expect((await get('mallory', `/postmortems/${pm1}/${path}`)).statusCode).toBe(404);
    const audited = test.api.audit.entries.find((e) => e.user === 'mallory' && e.path === `/api/v1/postmortems/${pm1}`);
    expect(audited).toMatchObject({
      status: 404,
      outcome: 'refused',
      denied: true,
      postmortemId: pm1,
      incidentId: shown.postmortem.incidentId,
    });
  });

  it('falls back on who triggered the incident when Temporal no longer knows it', async () => {
    expect((await get('dana', `/postmortems/${pm2}`)).statusCode).toBe(200);
    expect((await get('alice', `/postmortems/${pm2}`)).statusCode).toBe(404);
  });

  it('lists only the post-mortems the caller may read, with the filters', async () => {
    const ids = async (as: ApiUser, query = '') =>
      (await get(as, `/postmortems${query}`)).json<{ postmortems: { id: string }[] }>().postmortems.map((p) => p.id);
    expect(await ids('alice')).toEqual([pm1]);
    expect(await ids('dana')).toEqual([pm2]);
    expect(await ids('mallory')).toEqual([]);
    expect(await ids('alice', '?tag=keys&status=draft')).toEqual([pm1]);
    expect(await ids('alice', '?tag=nothing')).toEqual([]);
    expect(await ids('alice', `?runbook=${runbookId}&since=2000-01-01T00:00:00Z`)).toEqual([pm1]);
    const bad = await get('alice', '/postmortems?since=yesterday&status=gone');
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json<{ error: { issues: { path: string }[] } }>()
        .error.issues.map((i) => i.path)
        .sort(),
    ).toEqual(['query.since', 'query.status']);
  });

  it('answers 503, not 500, on a server without a post-mortem store', async () => {
    const bare = await buildHarness(test.env, { plans: [test.env.compile(runbook)] });
    try {
      const response = await bare.call('alice', { method: 'GET', url: '/api/v1/postmortems' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({
        error: { code: 'UNAVAILABLE', message: expect.stringContaining('no post-mortem store') as unknown },
      });
    } finally {
      await bare.app.close();
    }
  });
});

describe('editing', () => {
  it('writes a revision on the one it was made on, and a stale edit gets both texts back with nothing written', async () => {
    const first = await edit('alice', pm1, 'summary', 'A deploy key leaked through a public build log.', 0);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ revision: { section: 'summary', revision: 1, author: 'alice' } });

    const stale = await edit('bob', pm1, 'summary', 'Bob’s version of the summary.', 0);
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({
      error: {
        code: 'CONFLICT',
        message: expect.stringContaining('revision 1 by alice') as unknown,
        details: {
          section: 'summary',
          revision: 1,
          author: 'alice',
          text: 'A deploy key leaked through a public build log.',
          yourText: 'Bob’s version of the summary.',
        },
      },
    });
    const history = (await get('carol', `/postmortems/${pm1}/history?section=summary`)).json<{
      revisions: { revision: number; author: string }[];
    }>();
    expect(history.revisions.map((r) => [r.revision, r.author])).toEqual([[1, 'alice']]);
  });

  it('takes a section larger than the API’s default body limit, up to the store’s limit', async () => {
    const long = `${'The key leaked.\n'.repeat(6000)}`; // about 96 KiB, over the default 64 KiB body limit
    const saved = await edit('alice', pm1, 'contributing-factors', long, 0);
    expect(saved.statusCode).toBe(200);
    const tooLong = await edit('alice', pm1, 'contributing-factors', 'x'.repeat(1_100_000), 1);
    expect(tooLong.statusCode).toBe(413);
    expect(tooLong.json()).toMatchObject({ error: { message: 'the request body is over the limit of 1048576 bytes' } });
  });

  it('is for the facilitators, reviewers and admins: a reader is refused 403, a stranger 404', async () => {
    expect((await edit('carol', pm1, 'lessons', 'x', 0)).statusCode).toBe(403);
    expect((await edit('carol', pm1, 'lessons', 'x', 0)).json()).toMatchObject({
      error: { message: expect.stringContaining('its facilitators (alice)') as unknown },
    });
    expect((await edit('mallory', pm1, 'lessons', 'x', 0)).statusCode).toBe(404);
    expect((await edit('alice', pm1, 'not-a-section', 'x', 0)).statusCode).toBe(400);
    expect(
      (await get('alice', `/postmortems/${pm1}`)).json<{
        postmortem: { sections: { lessons: { revision: number } } };
      }>().postmortem.sections.lessons.revision,
    ).toBe(0);
  });
});

describe('tags', () => {
  const tag = (as: ApiUser, id: string, body: object) =>
    test.api.call(as, { method: 'PATCH', url: `/api/v1/postmortems/${id}/tags`, payload: body });

  it('adds and removes tags for its people, keeps each change in the history, and refuses anyone else', async () => {
    const tagged = await tag('bob', pm1, { add: ['rotation', ' keys ', 'vendor'], remove: ['vendor'] });
    expect(tagged.statusCode).toBe(200);
    expect(tagged.json<{ postmortem: { tags: string[] } }>().postmortem.tags).toEqual(['keys', 'rotation']);
    const again = await tag('alice', pm1, { add: ['rotation'] });
    expect(again.json<{ postmortem: { tags: string[] } }>().postmortem.tags).toEqual(['keys', 'rotation']);

    expect((await tag('carol', pm1, { add: ['x'] })).statusCode).toBe(403);
    expect((await tag('mallory', pm1, { add: ['x'] })).statusCode).toBe(404);
    expect((await tag('alice', pm1, {})).statusCode).toBe(400);
    expect((await tag('alice', pm1, { add: ['two\nlines'] })).statusCode).toBe(400);
    const many = Array.from({ length: STORE_LIMITS.tags }, (_, index) => `t${index}`);
    const tooMany = await tag('alice', pm1, { add: many });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json<{ error: { message: string } }>().error.message).toContain('at most 32');

    const { fields } = (await get('alice', `/postmortems/${pm1}/history`)).json<{
      fields: { field: string; value: unknown; actor: string }[];
    }>();
    expect(fields).toEqual([
      { field: 'tags', value: ['keys', 'rotation'], actor: 'bob', at: expect.any(String) as unknown },
    ]);
    const listed = (await get('alice', `/postmortems?tag=rotation`)).json<{ postmortems: { id: string }[] }>();
    expect(listed.postmortems.map((p) => p.id)).toEqual([pm1]);
  });
});

describe('review and publication', () => {
  it('returns the blameless flags at review and refuses publication until each is acknowledged', async () => {
    const blaming = 'The key was in the log.\nBob forgot to rotate it, and ops dropped the ball.';
    expect((await edit('bob', pm1, 'what-happened', blaming, 0)).statusCode).toBe(200);
    expect((await move('bob', pm1, { from: 'draft', to: 'in-review' })).statusCode).toBe(403);

    const review = await move('alice', pm1, { from: 'draft', to: 'in-review' });
    expect(review.statusCode).toBe(200);
    const flags = review.json<{
      flags: { id: string; section: string; line: number; column: number; match: string }[];
    }>().flags;
    expect(flags.map((f) => [f.section, f.line, f.match])).toEqual(
      expect.arrayContaining([
        ['what-happened', 2, 'forgot'],
        ['what-happened', 2, 'dropped the ball'],
      ]),
    );

    const refused = await move('bob', pm1, { from: 'in-review', to: 'published' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      error: {
        code: 'UNPROCESSABLE',
        issues: expect.arrayContaining([
          {
            path: 'sections.what-happened',
            message: expect.stringMatching(/^line 2, column \d+: "forgot"/) as unknown,
          },
        ]) as unknown,
      },
    });
    const partly = await move('bob', pm1, {
      from: 'in-review',
      to: 'published',
      acknowledgements: [{ flag: flags[0]?.id, reason: 'quoted from the chat log' }],
    });
    expect(partly.statusCode).toBe(flags.length > 1 ? 422 : 200);
    const stale = await move('bob', pm1, {
      from: 'in-review',
      to: 'published',
      acknowledgements: [{ flag: 'nope', reason: 'x' }],
    });
    expect(stale.statusCode).toBe(400);
    expect(
      (await get('alice', `/postmortems/${pm1}`)).json<{ postmortem: { status: string } }>().postmortem.status,
    ).toBe('in-review');

    const published = await move('bob', pm1, {
      from: 'in-review',
      to: 'published',
      acknowledgements: flags.map((f) => ({ flag: f.id, reason: 'quoted from the chat log' })),
    });
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({ postmortem: { status: 'published' } });
    const statuses = (await get('alice', `/postmortems/${pm1}/history`)).json<{
      statuses: { to: string; actor: string; reason?: string; acknowledgements?: Record<string, unknown>[] }[];
    }>().statuses;
    expect(statuses.map((s) => [s.to, s.actor])).toEqual([
      ['draft', 'alice'],
      ['in-review', 'alice'],
      ['published', 'bob'],
    ]);
    expect(statuses[2]?.reason).toBeUndefined();
    expect(statuses[2]?.acknowledgements).toEqual(
      flags.map((f) => ({
        flag: f.id,
        section: f.section,
        line: f.line,
        column: f.column,
        phrase: f.match,
        reason: 'quoted from the chat log',
      })),
    );
    expect(statuses[2]?.acknowledgements?.[0]).toMatchObject({ section: 'what-happened', line: 2 });
  });

  it('keeps a published post-mortem as it is until it is reopened with a reason', async () => {
    const frozen = await edit('alice', pm1, 'lessons', 'Rotate keys on leak.', 0);
    expect(frozen.statusCode).toBe(409);
    expect(frozen.json()).toMatchObject({ error: { details: { yourText: 'Rotate keys on leak.' } } });
    expect((await move('alice', pm1, { from: 'published', to: 'draft' })).statusCode).toBe(400);
    expect((await move('alice', pm1, { from: 'in-review', to: 'draft' })).statusCode).toBe(409);
    const reopened = await move('alice', pm1, {
      from: 'published',
      to: 'draft',
      reason: 'the timeline missed the second leak',
    });
    expect(reopened.statusCode).toBe(200);
    expect((await edit('alice', pm1, 'lessons', 'Rotate keys on leak.', 0)).statusCode).toBe(200);
  });
});

describe('export', () => {
  it('exports Markdown, HTML with a strict policy, and JSON, each as an attachment', async () => {
    const md = await get('carol', `/postmortems/${pm1}/export?format=md`);
    expect(md.statusCode).toBe(200);
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.body).toContain('Leaked deploy key');
    expect(md.body).toContain('A deploy key leaked through a public build log.');
    expect(md.headers['content-disposition']).toMatch(/^attachment; filename="postmortem-[\w.-]+\.md"$/);

    const html = await get('carol', `/postmortems/${pm1}/export?format=html`);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.headers['content-security-policy']).toBe(
      "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox",
    );
    expect(html.body).toMatch(/^<!doctype html>/);

    const json = await get('carol', `/postmortems/${pm1}/export?format=json`);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(json.body)).toMatchObject({
      title: 'Leaked deploy key',
      sections: { summary: 'A deploy key leaked through a public build log.', lucky: null },
    });
    expect((await get('carol', `/postmortems/${pm1}/export?format=pdf`)).statusCode).toBe(400);
  });
});

describe('search', () => {
  it('finds ranked hits with highlight offsets, only among the readable, with filters', async () => {
    const search = async (as: ApiUser, query: string) =>
      (await get(as, `/postmortems/search?${query}`)).json<{
        hits: {
          postmortem: { id: string };
          snippets: { text: string; highlights: { start: number; end: number }[] }[];
        }[];
      }>().hits;
    const hits = await search('alice', 'q=rotating');
    expect(hits.map((h) => h.postmortem.id)).toEqual([pm1]);
    const snippet = hits[0]?.snippets.find((s) => s.highlights.length > 0);
    const first = snippet?.highlights[0];
    expect(snippet?.text.slice(first?.start, first?.end).toLowerCase()).toMatch(/^rotat/);
    expect(await search('mallory', 'q=rotating')).toEqual([]);
    expect(await search('alice', 'q=rotating&runbook=other-runbook')).toEqual([]);
    expect(await search('alice', 'q=rotating&since=2100-01-01T00:00:00Z')).toEqual([]);
    expect((await get('alice', '/postmortems/search?q=')).statusCode).toBe(400);
  });
});
