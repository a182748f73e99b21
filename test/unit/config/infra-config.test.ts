/** loadConfig(env): the `infra` section (the burn-down providers by name). */
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

function problems(text: string): string {
  const result = load(text);
  if (result.ok) throw new Error('expected problems');
  return result.issues.map((issue) => `${issue.line}:${issue.col} ${issue.path} ${issue.message}`).join('\n');
}

describe('loadConfig: infra', () => {
  it('is absent by default (no providers)', () => {
    const result = load('users: []\n');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.infra).toBeUndefined();
  });

  it('gives a docker provider the local socket and a 30s timeout by default', () => {
    const result = load('infra:\n  providers:\n    local: { kind: docker }\n');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.infra).toEqual({
      providers: { local: { kind: 'docker', host: 'unix:///var/run/docker.sock', timeoutMs: 30_000 } },
    });
  });

  it('keeps TLS parts of a tcp:// daemon as secret references, unresolved', () => {
    const result = load(
      [
        'infra:',
        '  providers:',
        '    prod-hosts:',
        '      kind: docker',
        '      host: tcp://docker.internal:2376',
        '      tls: { ca: file:certs/ca.pem, cert: file:certs/cert.pem, key: env:DOCKER_KEY }',
        '      timeout: 2m',
        '',
      ].join('\n'),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.infra?.providers['prod-hosts']).toEqual({
      kind: 'docker',
      host: 'tcp://docker.internal:2376',
      tls: { ca: 'file:certs/ca.pem', cert: 'file:certs/cert.pem', key: 'env:DOCKER_KEY' },
      timeoutMs: 120_000,
    });
  });

  it('refuses tcp:// without TLS, TLS on a socket, a bad host and an unknown kind, each at its place', () => {
    const text = problems(
      [
        'infra:',
        '  providers:',
        '    open: { kind: docker, host: "tcp://10.0.0.5:2375" }',
        '    sock: { kind: docker, tls: { ca: env:A, cert: env:B, key: env:C } }',
        '    web: { kind: docker, host: "http://docker:2375" }',
        '    cloud: { kind: aws }',
        '    Bad_Name: { kind: docker }',
        '    kindless: { host: "unix:///x.sock" }',
        '',
      ].join('\n'),
    );
    expect(text).toMatch(/3:\d+ infra\.providers\.open(\.tls)? tcp:\/\/ needs tls \(ca, cert, key\)/);
    expect(text).toMatch(/4:\d+ infra\.providers\.sock\.tls tls applies to tcp:\/\/ hosts only/);
    expect(text).toMatch(/5:\d+ infra\.providers\.web\.host expected unix:\/\/\/path\/to\/docker\.sock or tcp:\/\/host:port/);
    expect(text).toMatch(/6:\d+ infra\.providers\.cloud\.kind expected docker or command, got "aws"/);
    expect(text).toMatch(/8:\d+ infra\.providers\.kindless `kind` is required: docker or command/);
    expect(text).toMatch(/7:\d+ infra\.providers\.Bad_Name .*expected a provider name/);
  });

  it('keeps the hosts a health probe may reach besides loopback, lowercased, and refuses a URL in their place', () => {
    const result = load('infra:\n  providers:\n    local: { kind: docker, health: { allowHosts: [Shop.Internal, 10.1.2.3, "[fd00::1]"] } }\n');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const local = result.value.infra?.providers.local;
    expect(local?.kind === 'docker' ? local.health : undefined).toEqual({ allowHosts: ['shop.internal', '10.1.2.3', '[fd00::1]'] });
    const text = problems('infra:\n  providers:\n    local: { kind: docker, health: { allowHosts: ["http://shop:8080/"] } }\n');
    expect(text).toMatch(/3:\d+ infra\.providers\.local\.health\.allowHosts\[0\] expected a host name or IP address/);
  });

  it('refuses a key pasted in place of a reference, without repeating it', () => {
    const text = problems(
      'infra:\n  providers:\n    prod:\n      kind: docker\n      host: tcp://h:2376\n      tls: { ca: env:A, cert: env:B, key: "-----BEGIN PRIVATE KEY-----hunter2" }\n',
    );
    expect(text).toContain('infra.providers.prod.tls.key expected a secret reference (env:NAME or file:PATH)');
    expect(text).not.toContain('hunter2');
  });

  it('gives a command provider its scripts, a 5m timeout and an environment of text and secret references', () => {
    const result = load(
      [
        'infra:',
        '  providers:',
        '    legacy-vms:',
        '      kind: command',
        '      operations: { inventory: vm-inventory, isolate: vm-isolate, unisolate: vm-unisolate }',
        '      env: { REGION: eu-west-1, API_TOKEN: { secret: env:VM_API_TOKEN } }',
        '',
      ].join('\n'),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.infra?.providers['legacy-vms']).toEqual({
      kind: 'command',
      operations: { inventory: 'vm-inventory', isolate: 'vm-isolate', unisolate: 'vm-unisolate' },
      env: { REGION: 'eu-west-1', API_TOKEN: { secret: 'env:VM_API_TOKEN' } },
      timeoutMs: 300_000,
    });
  });

  it('refuses a command provider without inventory, with isolate but no unisolate, a script path, a reserved or odd variable', () => {
    const text = problems(
      [
        'infra:',
        '  providers:',
        '    none: { kind: command, operations: { isolate: a, unisolate: b } }',
        '    half: { kind: command, operations: { inventory: a, isolate: b } }',
        '    path: { kind: command, operations: { inventory: ../bin/rm } }',
        '    envs: { kind: command, operations: { inventory: a }, env: { LD_PRELOAD: x, "1X": y, TOKEN: { secret: hunter2 } } }',
        '    typo: { kind: command, operations: { inventory: a, burn: b } }',
        '',
      ].join('\n'),
    );
    expect(text).toMatch(/3:\d+ infra\.providers\.none\.operations\.inventory `inventory` is required/);
    expect(text).toMatch(/4:\d+ infra\.providers\.half\.operations\.unisolate isolate and unisolate go together/);
    expect(text).toMatch(/5:\d+ infra\.providers\.path\.operations\.inventory expected a file name in actions\.command\.scriptsDir/);
    expect(text).toMatch(/6:\d+ infra\.providers\.envs\.env\.LD_PRELOAD .*is reserved/);
    expect(text).toMatch(/6:\d+ infra\.providers\.envs\.env\["1X"\] .*expected an environment variable name/);
    expect(text).toMatch(/6:\d+ infra\.providers\.envs\.env\.TOKEN\.secret expected a secret reference/);
    expect(text).not.toContain('hunter2');
    expect(text).toMatch(/7:\d+ infra\.providers\.typo\.operations\.burn unknown key `burn`/);
  });
});
