/**
 * The pieces of the API that need no Temporal: the file audit log (JSON lines, mode 0600, directories
 * created), trigger and read access rules, token hashes, and quoting in visibility queries.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { incidentListQuery, quoteQueryValue } from '../../src/incidents/list.js';
import { createFileAuditLog, type AuditEntry } from '../../src/server/audit.js';
import { createBearerAuth, mayTrigger, tokenHash } from '../../src/server/auth.js';
import { READ_CHECK_LIMIT, ReadAccess } from '../../src/server/read-access.js';
import type { IncidentSummary } from '../../src/incidents/list.js';
import type { IncidentReaders } from '../../src/incidents/readers.js';
import type { Plan } from '../../src/domain/plan.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-audit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const entry = (status: number): AuditEntry => ({
  at: '2025-01-01T00:00:00.000Z',
  user: status === 401 ? null : 'alice',
  source: 'api',
  method: 'POST',
  path: '/api/v1/incidents',
  status,
  outcome: status < 400 ? 'ok' : 'refused',
  ...(status === 401 ? { code: 'UNAUTHENTICATED' } : {}),
});

describe('file audit log', () => {
  it('creates its directory and appends one JSON line per entry, readable only by the owner', async () => {
    const file = path.join(scratch, 'nested', 'dir', 'audit.jsonl');
    const audit = createFileAuditLog(file);
    await Promise.all([201, 401, 409].map((status) => audit.write(entry(status))));
    await audit.write(entry(200));
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as AuditEntry).status).sort()).toEqual([200, 201, 401, 409]);
    expect(JSON.parse(lines[3]!)).toEqual(entry(200));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('narrows an existing file to 0600 and keeps what it held', async () => {
    const dir = path.join(scratch, 'existing');
    mkdirSync(dir);
    const file = path.join(dir, 'audit.jsonl');
    writeFileSync(file, '{"old":true}\n', { mode: 0o644 });
    await createFileAuditLog(file).write(entry(201));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`{"old":true}\n${JSON.stringify(entry(201))}\n`);
  });
});

describe('trigger access', () => {
  const user = { id: 'bob', roles: ['security'] };
  it('uses the runbook entry, else *, else allows everyone', () => {
    expect(mayTrigger(undefined, user, 'anything')).toBe(true);
    expect(mayTrigger({ trigger: {} }, user, 'anything')).toBe(true);
    expect(mayTrigger({ trigger: { leak: ['commander'] } }, user, 'leak')).toBe(false);
    expect(mayTrigger({ trigger: { leak: ['commander'] } }, user, 'other')).toBe(true);
    expect(mayTrigger({ trigger: { leak: ['commander', 'security'] } }, user, 'leak')).toBe(true);
    expect(mayTrigger({ trigger: { '*': ['commander'] } }, user, 'leak')).toBe(false);
    expect(mayTrigger({ trigger: { '*': ['commander'], leak: ['security'] } }, user, 'leak')).toBe(true);
    expect(mayTrigger({ trigger: { '*': ['security'], leak: [] } }, user, 'leak')).toBe(false);
  });
});

describe('read access', () => {
  const summary = (n: number): IncidentSummary => ({
    incidentId: `inc-${n}`,
    runbook: 'leak',
    severity: 'sev2',
    kind: 'incident',
    status: 'running',
    startedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
  });
  const plan = { roles: { security: { members: ['bob', 'Olga@Example.com'] } } } as unknown as Plan;
  function readAccess(count: number, readersOf: (n: number) => IncidentReaders) {
    const looked: string[] = [];
    const reads = new ReadAccess({
      access: { trigger: { leak: ['commander'] }, read: ['auditor'] },
      admins: ['root'],
      runbooks: { get: (id) => (id === 'leak' ? { file: 'leak.yaml', plan } : undefined), list: () => [] },
      incidents: {
        list: (filter) => Promise.resolve(Array.from({ length: Math.min(count, filter.limit) }, (_, n) => summary(n))),
        readers: (id) => {
          looked.push(id);
          return Promise.resolve(readersOf(Number(id.slice(4))));
        },
      },
    });
    return { reads, looked };
  }

  it('lets members (by id or e-mail, any case), the trigger user, readers and admins read an incident', () => {
    const { reads } = readAccess(0, () => ({ members: [], triggeredBy: null }));
    const readers: IncidentReaders = { members: ['bob', 'Olga@Example.com'], triggeredBy: 'alice' };
    const may = (id: string, roles: string[] = [], email?: string) =>
      reads.mayReadIncident({ id, roles, ...(email ? { email } : {}) }, readers);
    expect([
      may('bob'),
      may('olga', [], 'olga@example.com'),
      may('alice'),
      may('dana', ['auditor']),
      may('root'),
    ]).toEqual([true, true, true, true, true]);
    expect([may('mallory'), may('carol', ['security']), may('webhook:generic')]).toEqual([false, false, false]);
  });

  it("lets readers, the runbook's role holders and its trigger rule's roles read its schedules and drills", () => {
    const { reads } = readAccess(0, () => ({ members: [], triggeredBy: null }));
    const may = (roles: string[], runbook = 'leak', id = 'x') => reads.mayReadRunbook({ id, roles }, runbook);
    expect([may(['security']), may(['commander']), may(['auditor']), may([], 'leak', 'bob')]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect([may(['legal']), may(['security'], 'gone'), may(['auditor'], 'gone')]).toEqual([false, false, true]);
  });

  it('examines at most READ_CHECK_LIMIT incidents for a list, and says when it stopped there', async () => {
    const { reads, looked } = readAccess(5000, (n) => ({ members: n % 500 === 0 ? ['bob'] : [], triggeredBy: null }));
    const listed = await reads.listReadable({ id: 'bob', roles: [] }, { limit: 10 });
    expect(listed.incidents.map((incident) => incident.incidentId)).toEqual(['inc-0', 'inc-500']);
    expect(listed.truncated).toBe(true);
    expect(looked).toHaveLength(READ_CHECK_LIMIT);
    const first = await reads.listReadable({ id: 'bob', roles: [] }, { limit: 1 });
    expect([first.incidents.length, first.truncated]).toEqual([1, false]);
    // Readers are never looked up again: a run's people do not change.
    expect(looked).toHaveLength(READ_CHECK_LIMIT);
    const everything = await reads.listReadable({ id: 'dana', roles: ['auditor'] }, { limit: 3 });
    expect([everything.incidents.length, everything.truncated, looked.length]).toEqual([3, false, READ_CHECK_LIMIT]);
  });
});

describe('the access and api sections of the config file', () => {
  const load = (text: string) => {
    const file = path.join(scratch, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, text);
    return loadConfig({}, { configPath: file, cwd: scratch });
  };

  it('reads them, with defaults for what is left out', () => {
    const result = load(`
access:
  trigger: { leak: [commander], '*': [security] }
api: { authFailures: { window: 5m } }
`);
    expect(result.ok && result.value.access).toEqual({ trigger: { leak: ['commander'], '*': ['security'] } });
    expect(result.ok && result.value.api).toEqual({ bodyLimit: 65_536, authFailures: { max: 10, windowMs: 300_000 } });
    const bare = load('users: []\n');
    expect(bare.ok && [bare.value.access, bare.value.api]).toEqual([undefined, undefined]);
  });

  it('reads the roles that read every incident and the admin roles', () => {
    const result = load(`
access:
  read: [auditor]
  admin: [ciso]
`);
    expect(result.ok && result.value.access).toEqual({ trigger: {}, read: ['auditor'], admin: ['ciso'] });
    const bad = load('access: { read: [1st], admin: auditor }\n');
    expect(bad.ok ? [] : bad.issues.map((issue) => issue.path)).toEqual(['access.read[0]', 'access.admin']);
  });

  it('reports every problem with its place', () => {
    const result = load(`
access:
  trigger: { Not_An_Id: [commander], leak: ['1st'] }
api: { bodyLimit: 0, authFailures: { max: 2.5, window: soon } }
`);
    expect(result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'access.trigger.Not_An_Id: invalid name `Not_An_Id`: expected a runbook id or *',
      'access.trigger.leak[0]: expected a role name',
      'api.bodyLimit: must be at least 1',
      'api.authFailures.max: expected a whole number',
      'api.authFailures.window: expected a duration such as 30s, 15m, 4h, 3d or 2w',
    ]);
  });
});

describe('tokens', () => {
  it('hashes tokens as the config stores them', () => {
    expect(tokenHash('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuses two users holding the same token', () => {
    const token = tokenHash('shared');
    expect(() =>
      createBearerAuth({
        users: [
          { id: 'a', roles: [], token },
          { id: 'b', roles: [], token },
        ],
        maxFailures: 10,
        windowMs: 60_000,
        logger: pino({ level: 'silent' }),
      }),
    ).toThrow('users a and b have the same token; give each their own');
  });
});

describe('visibility queries', () => {
  it('quotes every value and escapes quotes and backslashes', () => {
    expect(quoteQueryValue("it's \\ here")).toBe("'it\\'s \\\\ here'");
    expect(incidentListQuery({ status: 'running', runbook: "x' OR 'a'='a", severity: 'sev1' })).toBe(
      "WorkflowType = 'incidentWorkflow' AND FirebreakStatus = 'running' AND FirebreakRunbook = 'x\\' OR \\'a\\'=\\'a' AND FirebreakSeverity = 'sev1'",
    );
    expect(incidentListQuery({})).toBe("WorkflowType = 'incidentWorkflow'");
    expect(incidentListQuery({ kind: 'all' })).toBe("WorkflowType = 'incidentWorkflow'");
    expect(incidentListQuery({ kind: 'job' })).toBe("WorkflowType = 'incidentWorkflow' AND FirebreakKind = 'job'");
    expect(incidentListQuery({ kind: 'incident' })).toBe(
      "WorkflowType = 'incidentWorkflow' AND (FirebreakKind = 'incident' OR FirebreakKind IS NULL)",
    );
  });
});
