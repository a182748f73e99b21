/** loadConfig(env): file lookup, defaults, located problems, path resolution and overrides. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

let dir: string;
const TOKEN = `sha256:${'ab'.repeat(32)}`;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('uses built-in defaults when there is no file', () => {
    expect(loadConfig({}, { cwd: dir })).toEqual({
      ok: true,
      value: {
        users: [],
        runbooks: { dirs: [path.join(dir, 'runbooks')] },
        templates: { dirs: [path.join(dir, 'templates')] },
        temporal: { address: '127.0.0.1:7233', namespace: 'default' },
        secrets: {},
        actions: {
          http: { allow: [], allowLinkLocal: false, maxResponseBytes: 65_536, defaultTimeoutMs: 30_000 },
          command: { scriptsDir: path.join(dir, 'scripts/actions'), maxOutputBytes: 65_536, defaultTimeoutMs: 300_000 },
        },
      },
    });
  });

  it('reads ./firebreak.yaml, converts durations and resolves paths against the file', () => {
    const file = write(
      'conf/firebreak.yaml',
      `users:
  - { id: alice, email: alice@example.com, roles: [commander, security], token: "${TOKEN}" }
  - { id: bob, roles: [security] }
runbooks: { dirs: [../runbooks, /srv/runbooks] }
temporal: { address: temporal.internal:7233, namespace: incidents }
actions:
  http: { allow: ["https://keys.internal.example", "http://127.0.0.1:*"], allowLinkLocal: true, maxResponseBytes: 1024, defaultTimeout: 10s }
  command: { scriptsDir: ./scripts, maxOutputBytes: 2048, defaultTimeout: 2m }
`,
    );
    const result = loadConfig({}, { cwd: dir, configPath: 'conf/firebreak.yaml', runbookDirs: ['extra'] });
    expect(result).toEqual({
      ok: true,
      value: {
        source: file,
        users: [
          { id: 'alice', email: 'alice@example.com', roles: ['commander', 'security'], token: TOKEN },
          { id: 'bob', roles: ['security'] },
        ],
        runbooks: { dirs: [path.join(dir, 'runbooks'), '/srv/runbooks', path.join(dir, 'extra')] },
        templates: { dirs: [path.join(dir, 'conf/templates')] },
        temporal: { address: 'temporal.internal:7233', namespace: 'incidents' },
        secrets: {},
        actions: {
          http: {
            allow: ['https://keys.internal.example', 'http://127.0.0.1:*'],
            allowLinkLocal: true,
            maxResponseBytes: 1024,
            defaultTimeoutMs: 10_000,
          },
          command: { scriptsDir: path.join(dir, 'conf/scripts'), maxOutputBytes: 2048, defaultTimeoutMs: 120_000 },
        },
      },
    });
  });

  it('finds the file through FIREBREAK_CONFIG, then ./firebreak.yaml; --config wins', () => {
    const fromEnv = write('env.yaml', 'temporal: { namespace: from-env }\n');
    write('firebreak.yaml', 'temporal: { namespace: from-cwd }\n');
    const flag = write('flag.yaml', 'temporal: { namespace: from-flag }\n');
    const namespace = (env: NodeJS.ProcessEnv, configPath?: string) => {
      const result = loadConfig(env, { cwd: dir, ...(configPath && { configPath }) });
      return result.ok ? result.value.temporal.namespace : 'failed';
    };
    expect(namespace({ FIREBREAK_CONFIG: fromEnv })).toBe('from-env');
    expect(namespace({})).toBe('from-cwd');
    expect(namespace({ FIREBREAK_CONFIG: fromEnv }, flag)).toBe('from-flag');
  });

  it('lets FIREBREAK_TEMPORAL_ADDRESS override the address', () => {
    write('firebreak.yaml', 'temporal: { address: file:7233 }\n');
    const result = loadConfig({ FIREBREAK_TEMPORAL_ADDRESS: 'env:7233' }, { cwd: dir });
    expect(result.ok && result.value.temporal.address).toBe('env:7233');
  });

  it('adds --runbooks to the default ./runbooks when the file names none, and leaves out a missing default', () => {
    expect(loadConfig({}, { cwd: dir }).ok && loadConfig({}, { cwd: dir, runbookDirs: ['mine'] })).toMatchObject({
      value: { runbooks: { dirs: [path.join(dir, 'mine')] } },
    });
    mkdirSync(path.join(dir, 'runbooks'));
    const result = loadConfig({}, { cwd: dir, runbookDirs: ['mine'] });
    expect(result.ok && result.value.runbooks.dirs).toEqual([path.join(dir, 'runbooks'), path.join(dir, 'mine')]);
    // Alone, the default is kept even when missing, so that reading it reports the problem.
    rmSync(path.join(dir, 'runbooks'), { recursive: true });
    const alone = loadConfig({}, { cwd: dir });
    expect(alone.ok && alone.value.runbooks.dirs).toEqual([path.join(dir, 'runbooks')]);
  });

  it('reports a missing explicit file', () => {
    expect(loadConfig({ FIREBREAK_CONFIG: 'nope.yaml' }, { cwd: dir })).toEqual({
      ok: false,
      issues: [
        { file: 'nope.yaml', line: 1, col: 1, path: '', message: 'config file not found (from FIREBREAK_CONFIG)' },
      ],
    });
  });

  it('reports every problem with line:col and never repeats a token', () => {
    const file = write(
      'firebreak.yaml',
      `users:
  - { id: alice, email: alice@example.com, roles: [commander] }
  - { id: alice, email: ALICE@example.com, token: plain-text-token }
  - { id: bob, email: not-an-email }
temporal: { adress: x }
actions:
  http: { defaultTimeout: 30 }
  command: { maxOutputBytes: -1 }
`,
    );
    const result = loadConfig({}, { cwd: dir });
    expect(
      result.ok ? [] : result.issues.map((i) => `${i.file === file}:${i.line}:${i.col} ${i.path} ${i.message}`),
    ).toEqual([
      'true:3:11 users[1].id duplicate user id `alice` (also users[0])',
      'true:3:25 users[1].email duplicate e-mail `ALICE@example.com` (also users[0])',
      'true:3:51 users[1].token expected sha256:<64 hex digits> (the SHA-256 of the token, never the token)',
      'true:4:23 users[2].email expected an e-mail address',
      'true:5:13 temporal.adress unknown key `adress`',
      'true:7:27 actions.http.defaultTimeout expected a duration such as 30s, 15m, 4h, 3d or 2w',
      'true:8:30 actions.command.maxOutputBytes must be at least 1',
    ]);
    expect(JSON.stringify(result)).not.toContain('plain-text-token');
  });

  it('reports YAML syntax errors with their position', () => {
    write('firebreak.yaml', 'users: [\n');
    const result = loadConfig({}, { cwd: dir });
    expect(
      result.ok ? [] : result.issues.map((i) => [i.line, i.col, i.message.startsWith('YAML syntax error')]),
    ).toEqual([[2, 1, true]]);
  });

  it('treats an empty file as all defaults', () => {
    write('firebreak.yaml', '# nothing yet\n');
    expect(loadConfig({}, { cwd: dir }).ok).toBe(true);
  });
});

describe('docs/firebreak.example.yaml', () => {
  it('loads without problems', () => {
    const example = path.resolve(import.meta.dirname, '../../../docs/firebreak.example.yaml');
    const result = loadConfig({}, { configPath: example });
    expect(result.ok && result.value.users.map((user) => user.id)).toEqual(['alice', 'bob', 'carol', 'dan']);
    expect(result.ok && result.value.actions.command.defaultTimeoutMs).toBe(300_000);
    expect(result.ok && result.value.users[0]?.name).toBe('Alice Example');
    expect(result.ok && result.value.access).toEqual({
      trigger: { '*': ['commander', 'security'] },
      read: ['ciso'],
      admin: [],
    });
    expect(result.ok && { ...result.value.secrets }).toEqual({
      'keys-api': { reference: 'env:KEYS_API_TOKEN' },
      'registry-token': {
        reference: 'env:REGISTRY_TOKEN',
        runbooks: ['compromised-container-image'],
        description: 'pull/push token for the internal registry',
      },
    });
    expect(result.ok && Object.keys(result.value.channels?.webhook.endpoints ?? {})).toEqual([
      'ops-bridge',
      'exec-chat',
      'leads-chat',
    ]);
  });
});
