/** The `webhooks` config section: defaults, and every CEL expression checked at load time with file:line:col. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { formatIssue } from '../../../src/diagnostics/located-issue.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-webhooks-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string) {
  writeFileSync(path.join(dir, 'firebreak.yaml'), yaml);
  return loadConfig({}, { cwd: dir });
}

describe('webhooks config', () => {
  it('is absent unless written, and fills defaults when it is', () => {
    const none = load('users: []\n');
    expect(none.ok && none.value.webhooks).toBe(undefined);
    const minimal = load('webhooks: { routes: [{ receiver: generic, runbook: leak }] }\n');
    expect(minimal).toMatchObject({
      ok: true,
      value: { webhooks: { maxBodyBytes: 1_048_576, generic: { secrets: [] }, routes: [{ receiver: 'generic' }] } },
    });
  });

  it('accepts literal and computed severities, params and dedup keys', () => {
    const result = load(`webhooks:
  generic: { secrets: [env:NEW_SECRET, "file:./old.secret"] }
  routes:
    - receiver: alertmanager
      match: 'alert.labels.severity == "critical"'
      runbook: host
      params: { host: 'alert.labels.instance', n: '1' }
      dedupKey: '"am:" + alert.fingerprint'
      severity: 'alert.group.?team.orValue("") == "db" ? "sev1" : "sev3"'
    - { receiver: generic, runbook: host, severity: sev2 }
`);
    expect(result.ok).toBe(true);
  });

  it('locates every bad expression, secret and receiver', () => {
    const result = load(`webhooks:
  generic: { secrets: [env:A, plain-text-secret] }
  routes:
    - receiver: alertmanager
      match: 'alert.labels.severity =='
      runbook: host
      params: { host: 'labels.instance' }
      dedupKey: '1 + 2'
      severity: sev9
    - { receiver: pagerduty, runbook: host, match: '"yes"' }
`);
    expect(result.ok).toBe(false);
    const lines = result.ok ? [] : result.issues.map((issue) => formatIssue(issue).replace(`${dir}/`, ''));
    expect(lines).toEqual([
      'firebreak.yaml:2:31  webhooks.generic.secrets[1]  expected a secret reference (env:NAME or file:PATH)',
      'firebreak.yaml:5:14  webhooks.routes[0].match  invalid expression `alert.labels.severity ==`: Unexpected token: EOF',
      'firebreak.yaml:7:23  webhooks.routes[0].params.host  in `labels.instance`: unknown name `labels`: alert expressions can use `alert`',
      'firebreak.yaml:8:17  webhooks.routes[0].dedupKey  `1 + 2` must be a string, but it is of type int',
      'firebreak.yaml:9:17  webhooks.routes[0].severity  expected sev1, sev2, sev3, sev4 or a CEL expression: in `sev9`: unknown name `sev9`: alert expressions can use `alert`',
      'firebreak.yaml:10:19  webhooks.routes[1].receiver  expected one of alertmanager, generic, got "pagerduty"',
      'firebreak.yaml:10:52  webhooks.routes[1].match  `"yes"` must be true or false, but it is of type string',
    ]);
  });

  it('allows at most two generic secrets', () => {
    const result = load('webhooks: { generic: { secrets: [env:A, env:B, env:C] } }\n');
    expect(result.ok ? [] : result.issues.map((issue) => issue.message)).toEqual([
      'at most 2 secrets (the new one and the old one)',
    ]);
  });
});
