/** loadConfig(env): the `store` section (where post-mortems are kept). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string) {
  writeFileSync(path.join(dir, 'firebreak.yaml'), text);
  return loadConfig({}, { cwd: dir });
}

describe('loadConfig: store', () => {
  it('is absent by default (the embedded PGlite store)', () => {
    const result = load('users: []\n');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.store).toBeUndefined();
  });

  it('keeps store.postgres.url as a secret reference, unresolved', () => {
    const result = load('store:\n  postgres: { url: env:FIREBREAK_STORE_URL }\n');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.store).toEqual({ postgres: { url: 'env:FIREBREAK_STORE_URL' } });
  });

  it('refuses a URL written in the file, and unknown keys, with their place', () => {
    const result = load('store:\n  postgres: { url: "postgres://u:hunter2@db/pm" }\n  sqlite: {}\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issues = result.issues.map((issue) => `${issue.line}:${issue.col} ${issue.path} ${issue.message}`);
    expect(issues.join('\n')).toContain('store.postgres.url expected a secret reference (env:NAME or file:PATH)');
    expect(issues.join('\n')).toMatch(/store.*sqlite/);
    // The message never repeats the credential.
    expect(issues.join('\n')).not.toContain('hunter2');
  });
});
