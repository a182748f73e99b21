/**
 * Post-mortems at size, on both stores:
 * - **draft**: `draftPostmortem` over an incident with 5,000 timeline events (the captured tabletop run in
 *   test/fixtures/postmortem/, its timeline grown with the event types a busy incident has), beside a
 *   floor of one JSON round trip of the same state (a pass over the same data). Target: under 2 s.
 * - **search**: N generated post-mortems (default 10,000) with varied titles, lessons and tags, loaded
 *   through the store, then searched through `store.search` (ranked hits and their snippets), beside the
 *   floor: the same search (ranked hits and their snippets) as one plain SQL statement on the same data
 *   (through `pg` for PostgreSQL, through PGlite's own client for PGlite, which has no wire protocol
 *   here). Target: p95 within 1.5x.
 * Prints readable figures, then one JSON line.
 *
 *   npm run bench:postmortem [-- --count 10000 --searches 200 --stores pglite,postgres]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { builtinActionCatalog } from '../src/actions/registry.js';
import type { Plan } from '../src/domain/plan.js';
import type { IncidentState, TimelineEvent } from '../src/domain/state.js';
import { draftPostmortem, type DraftOptions } from '../src/postmortems/draft.js';
import { openPostgresStore, type PostmortemStore } from '../src/postmortems/store/index.js';
import { createSqlStore } from '../src/postmortems/store/open.js';
import { HEADLINE_OPTIONS } from '../src/postmortems/store/search-ops.js';
import { pgliteClient } from '../src/postmortems/store/pglite-client.js';
import type { NewPostmortem, SectionId } from '../src/postmortems/types.js';
import { compileRunbookSources } from '../src/runbook/index.js';
import { loadTemplateDirs } from '../src/templating/index.js';
import { projectRoot } from '../harness/config.js';
import { startPostgres } from '../harness/postgres.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    searches: { type: 'string', default: '200' },
    drafts: { type: 'string', default: '20' },
    stores: { type: 'string', default: 'pglite,postgres' },
  },
});
const count = Number(values.count);
const searches = Number(values.searches);
const drafts = Number(values.drafts);
const stores = values.stores.split(',').filter((s) => s === 'pglite' || s === 'postgres');
if (![count, searches, drafts].every((n) => Number.isInteger(n) && n > 0 && n <= 1_000_000)) {
  throw new Error('--count, --searches and --drafts take whole numbers from 1 to 1000000');
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const ms = (n: number): string => `${n.toFixed(n < 10 ? 2 : 0)} ms`;

// --- The incident: the captured tabletop run and the plan it ran --------------------------------------
const fixtures = path.join(projectRoot, 'test/fixtures/postmortem');
const templates = await loadTemplateDirs([path.join(projectRoot, 'test/fixtures/notify-templates')]);
const catalog = compileRunbookSources(
  [{ file: 'tabletop.yaml', bytes: readFileSync(path.join(fixtures, 'tabletop.yaml')) }],
  { actions: builtinActionCatalog, templates },
);
const planId = catalog.declaredIds.get('tabletop.yaml');
const plan: Plan | undefined = planId === undefined ? undefined : catalog.runbooks.get(planId)?.plan;
if (plan === undefined) throw new Error(`tabletop.yaml did not compile: ${JSON.stringify(catalog.issues)}`);
const captured = JSON.parse(readFileSync(path.join(fixtures, 'tabletop.state.json'), 'utf8')) as IncidentState;

const options: DraftOptions = {
  timeZone: 'Europe/Paris',
  containedBy: 'isolate',
  people: { facilitators: ['alice'], reviewers: ['bob'], audience: ['all-staff@example.com'] },
  reviewDueMs: 5 * 86_400_000,
  now: '2030-01-01T09:00:00.000Z',
  createdBy: 'alice',
  tags: [],
};

// --- Draft at 5,000 events ---------------------------------------------------------------------------
const TYPES = ['step.started', 'fact.set', 'alert.firing', 'note', 'message.rendered', 'reminder', 'step.succeeded'];
const big: IncidentState = structuredClone(captured);
const last = big.timeline.at(-1);
const base = Date.parse(last?.at ?? big.startedAt);
const extra: TimelineEvent[] = Array.from({ length: 5_000 - big.timeline.length }, (_, k) => ({
  seq: (last?.seq ?? 0) + k + 1,
  at: new Date(base - 1_000 + (k % 1_000)).toISOString(),
  type: TYPES[k % TYPES.length]!,
  actor: k % 3 === 0 ? 'bob' : 'system',
  step: 'isolate',
  message: `event ${k}: ${'context '.repeat(k % 8)}`,
}));
big.timeline = [...big.timeline.slice(0, -1), ...extra, ...(last ? [last] : [])];

const draftTimes: number[] = [];
const floorTimes: number[] = [];
let kept = 0;
for (let i = 0; i < drafts; i++) {
  let started = performance.now();
  kept = draftPostmortem(big, plan, options).facts.timeline.length;
  draftTimes.push(performance.now() - started);
  started = performance.now();
  JSON.parse(JSON.stringify(big));
  floorTimes.push(performance.now() - started);
}
draftTimes.sort((a, b) => a - b);
floorTimes.sort((a, b) => a - b);
const draftFigures = {
  events: big.timeline.length,
  kept,
  p50Ms: percentile(draftTimes, 50),
  maxMs: draftTimes.at(-1)!,
  floorP50Ms: percentile(floorTimes, 50),
};
console.log(
  `draft: ${draftFigures.events} events -> ${kept} kept; p50 ${ms(draftFigures.p50Ms)}, max ${ms(draftFigures.maxMs)} ` +
    `(floor, one JSON round trip of the state: p50 ${ms(draftFigures.floorP50Ms)}; target under 2 s)`,
);

// --- Generated post-mortems --------------------------------------------------------------------------
const template = draftPostmortem(captured, plan, options);
const slimFacts = { ...template.facts, timeline: template.facts.timeline.slice(0, 5) };

/** A small deterministic PRNG (mulberry32), so every run loads the same data. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const random = prng(20261207);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const TOPICS = [
  'credential rotation',
  'backup restore',
  'phishing campaign',
  'ransomware encryption',
  'leaked access key',
  'expired certificate',
  'misrouted alert',
  'database failover',
  'container image',
  'vendor breach',
  'dns hijack',
  'insider download',
];
const WORDS =
  'the a alert page runbook team host service key token rotation restore backup snapshot drill pager queue cluster network firewall policy approval message customer regulator deadline audit log evidence image registry deploy rollback vault secret scanner dashboard metric latency capacity storage bucket replica window schedule handoff escalation owner review'.split(
    ' ',
  );
const sentence = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');
const RUNBOOKS = ['credential-leak', 'ransomware-host', 'personal-data-exfiltration', 'compromised-container-image'];
const SEVERITIES = ['sev1', 'sev2', 'sev3', 'sev4'] as const;
const TAGS = ['customer-data', 'cloud', 'identity', 'supply-chain', 'backups', 'third-party', 'on-call'];

interface Generated {
  doc: NewPostmortem;
  lessons: string;
  summary: string;
}
const generated: Generated[] = Array.from({ length: count }, (_, i) => {
  const topic = pick(TOPICS);
  const at = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
  return {
    doc: {
      ...template,
      incidentId: `inc-bench-${i}`,
      title: `${topic} ${sentence(3)}`,
      runbookId: pick(RUNBOOKS),
      severity: pick(SEVERITIES),
      startedAt: at,
      endedAt: at,
      createdAt: at,
      facts: slimFacts,
      tags: [pick(TAGS), pick(TAGS)].filter((t, k, all) => all.indexOf(t) === k),
    },
    lessons: `${sentence(20)}. ${topic} ${sentence(15)}. ${sentence(25)}.`,
    summary: `${sentence(30)}. ${pick(TOPICS)} ${sentence(10)}.`,
  };
});
const QUERIES = [...TOPICS, 'rotation -vault', '"access key"', 'restore or failover', 'regulator deadline'];

async function load(store: PostmortemStore): Promise<number> {
  const started = performance.now();
  for (const item of generated) {
    const { postmortem } = await store.createPostmortem(item.doc);
    const at = item.doc.createdAt;
    for (const [section, text] of [
      ['lessons', item.lessons],
      ['summary', item.summary],
    ] as [SectionId, string][]) {
      await store.editSection(postmortem.id, section, text, { author: 'alice', at, baseRevision: 0 });
    }
  }
  return performance.now() - started;
}

/**
 * The same search as one plain SQL statement: the ranked hits and their highlighted snippets (title and
 * every matching section), what the store returns, without the store's code around it.
 */
const FLOOR_SQL = `WITH q AS (SELECT websearch_to_tsquery('english', $1) AS query),
  hits AS (SELECT p.id, p.title, p.sections, p.started_at, ts_rank(p.search, q.query) AS rank
           FROM firebreak_postmortems.postmortems p, q WHERE p.search @@ q.query
           ORDER BY rank DESC, p.started_at DESC, p.id LIMIT 20)
  SELECT h.id, h.rank, s.key, ts_headline('english', s.body, q.query, $2) AS headline
  FROM hits h, q, LATERAL (SELECT 'title' AS key, h.title AS body
                           UNION ALL SELECT e.key, e.value->>'text' FROM jsonb_each(h.sections) e) s
  WHERE s.body <> '' AND to_tsvector('english', s.body) @@ q.query
  ORDER BY h.rank DESC, h.started_at DESC, h.id`;

async function measure(
  name: string,
  store: PostmortemStore,
  floorQuery: (sql: string, params: unknown[]) => Promise<unknown>,
  dir?: string,
) {
  const loadMs = await load(store);
  const storeTimes: number[] = [];
  const floorTimes: number[] = [];
  let hits = 0;
  // Warm both paths once per query, then alternate them so neither gets a warmer cache.
  for (const query of QUERIES) {
    await store.search(query, { limit: 20 });
    await floorQuery(FLOOR_SQL, [query, HEADLINE_OPTIONS]);
  }
  for (let i = 0; i < searches; i++) {
    const query = QUERIES[i % QUERIES.length]!;
    let started = performance.now();
    hits += (await store.search(query, { limit: 20 })).length;
    storeTimes.push(performance.now() - started);
    started = performance.now();
    await floorQuery(FLOOR_SQL, [query, HEADLINE_OPTIONS]);
    floorTimes.push(performance.now() - started);
  }
  storeTimes.sort((a, b) => a - b);
  floorTimes.sort((a, b) => a - b);
  const sizeBytes = dir === undefined ? undefined : directorySize(dir);
  const figures = {
    store: name,
    postmortems: count,
    loadMs,
    searches,
    meanHits: hits / searches,
    p50Ms: percentile(storeTimes, 50),
    p95Ms: percentile(storeTimes, 95),
    floorP50Ms: percentile(floorTimes, 50),
    floorP95Ms: percentile(floorTimes, 95),
    ratioP95: percentile(storeTimes, 95) / percentile(floorTimes, 95),
    ...(sizeBytes === undefined ? {} : { sizeBytes }),
  };
  console.log(
    `${name}: loaded ${count} post-mortems in ${(loadMs / 1000).toFixed(1)} s; search p50 ${ms(figures.p50Ms)}, ` +
      `p95 ${ms(figures.p95Ms)} (floor p50 ${ms(figures.floorP50Ms)}, p95 ${ms(figures.floorP95Ms)}; ` +
      `${figures.ratioP95.toFixed(2)}x, target 1.5x), ${figures.meanHits.toFixed(1)} hits a search` +
      (sizeBytes === undefined ? '' : `, ${(sizeBytes / 1024 / 1024).toFixed(1)} MiB on disk`),
  );
  return figures;
}

function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

const results = [];
if (stores.includes('pglite')) {
  // PGlite allows one open instance per directory: the store and the floor share it (the store's
  // SqlClient over the same PGlite, the floor through PGlite's own query).
  const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-bench-pglite-'));
  const db = await PGlite.create(dir);
  try {
    const store = await createSqlStore(pgliteClient(db));
    results.push(await measure('pglite', store, (sql, params) => db.query(sql, params), dir));
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
if (stores.includes('postgres')) {
  const server = await startPostgres();
  const store = await openPostgresStore(server.url);
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    results.push(await measure('postgres', store, (sql, params) => client.query(sql, params)));
  } finally {
    await client.end();
    await store.close();
    await server.stop();
  }
}

const summary = {
  bench: 'postmortem',
  machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
  draft: draftFigures,
  search: results,
};
console.log(JSON.stringify(summary));
