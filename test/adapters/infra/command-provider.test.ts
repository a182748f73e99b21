/**
 * The command provider over real scripts: the conformance suite against a tiny infrastructure kept as
 * files by test/fixtures/infra-command/fake-infra (sh and jq), then what is the command provider's own: the
 * request on stdin and never in argv, answers checked field by field, exit codes mapped (75 retried),
 * timeouts, secrets in the environment and out of messages, capture streamed from files the script wrote
 * in a private directory that is removed afterwards, and providers built from the config.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraConfigSchema } from '../../../src/config/infra-schema.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { createCommandProvider, type CommandProviderOptions } from '../../../src/infra/command/provider.js';
import { infraProvidersFromConfig } from '../../../src/infra/from-config.js';
import type { InfraOperation, InfraProvider, InfraTarget } from '../../../src/infra/types.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { fileEvidenceSink } from '../../support/file-evidence-sink.js';
import { runProviderConformance, type Attachment, type ProviderFixture } from './provider-conformance.js';

const FAKE_INFRA = path.resolve(import.meta.dirname, '../../fixtures/infra-command/fake-infra');
const NETWORKS = ['fake-a', 'fake-b'] as const;
const secrets = createSecretResolver({ env: { FAKE_TOKEN: 'hunter2-fake-token' }, baseDir: tmpdir() });

const scratch = mkdtempSync(path.join(tmpdir(), 'fb-command-provider-'));
const scriptsDir = path.join(scratch, 'scripts');
const infra = path.join(scratch, 'infra');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Writes an executable sh script into the scripts directory. */
function script(name: string, body: string): string {
  writeFileSync(path.join(scriptsDir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return name;
}

const ALL: Partial<Record<InfraOperation, string>> = {
  inventory: 'fake-infra',
  protect: 'fake-infra',
  isolate: 'fake-infra',
  unisolate: 'fake-infra',
  capture: 'fake-infra',
  destroy: 'fake-infra',
  health: 'fake-infra',
  indicators: 'fake-infra',
};

function provider(overrides: Partial<CommandProviderOptions> = {}): InfraProvider {
  return createCommandProvider({
    name: 'fake',
    scriptsDir,
    operations: ALL,
    timeoutMs: 30_000,
    env: { FAKE_INFRA: infra },
    secrets,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<FirebreakError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  return error as FirebreakError;
}

let nextHost = 10;
/** A file every fake target holds, and the process it runs: what the indicator cases look for. */
const MARK_FILE = '/srv/implant';
const MARK_CONTENT = 'planted by the conformance suite\n';
/** Puts a target into the fake infrastructure, as `docker run` would on Docker. */
function startTarget(name: string, image: string, labels: Readonly<Record<string, string>>) {
  const id = sha256(`${name}-${nextHost}`);
  const host = nextHost++;
  const digest = `sha256:${sha256(image)}`;
  const imageTag = `fake.registry/${image}:v1`;
  const imagePinned = `fake.registry/${image}@${digest}`;
  const target = {
    id,
    name,
    image: { ref: imageTag, id: `sha256:${sha256(`id:${image}`)}`, digest, pinned: imagePinned },
    labels,
    state: 'running',
    createdAt: new Date().toISOString(),
    restartPolicy: 'always',
    networks: [
      { name: NETWORKS[0], aliases: [`${name}-a`], ipv4: `192.0.2.${host}` },
      { name: NETWORKS[1], aliases: [`${name}-b`], ipv4: `198.51.100.${host}` },
    ],
  };
  writeFileSync(path.join(infra, 'targets', `${id}.json`), JSON.stringify(target));
  mkdirSync(path.join(infra, 'fs', id, 'etc'), { recursive: true });
  writeFileSync(path.join(infra, 'fs', id, 'etc', 'hostname'), `${name}\n`);
  mkdirSync(path.join(infra, 'fs', id, 'srv'), { recursive: true });
  writeFileSync(path.join(infra, 'fs', id, MARK_FILE), MARK_CONTENT);
  writeFileSync(path.join(infra, 'logs', `${id}.log`), `${name} started\n`);
  writeFileSync(path.join(infra, 'processes', id), `1 /bin/app --serve\n`);
  return { id, name, imageTag, imageDigest: digest, imagePinned };
}

function attachments(id: string): Attachment[] {
  const target = JSON.parse(readFileSync(path.join(infra, 'targets', `${id}.json`), 'utf8')) as {
    networks: Array<{ name: string; aliases: string[]; ipv4: string }>;
  };
  return target.networks
    .map((n) => ({ network: n.name, aliases: n.aliases, ipv4: n.ipv4 }))
    .sort((a, b) => a.network.localeCompare(b.network));
}

beforeAll(() => {
  for (const dir of ['targets', 'fs', 'logs', 'processes']) mkdirSync(path.join(infra, dir), { recursive: true });
  mkdirSync(scriptsDir);
  copyFileSync(FAKE_INFRA, path.join(scriptsDir, 'fake-infra'));
});

const fixture: ProviderFixture = {
  provider: () => provider(),
  unreachable: () => provider({ name: 'away', env: { FAKE_INFRA: path.join(scratch, 'nowhere') } }),
  networks: NETWORKS,
  startTarget: (name, image, labels) => Promise.resolve(startTarget(name, image, labels)),
  attachments: (id) => Promise.resolve(attachments(id)),
  remove(id) {
    rmSync(path.join(infra, 'targets', `${id}.json`));
    return Promise.resolve();
  },
  unknownId: 'f'.repeat(64),
  captureArtefacts: ['metadata', 'processes', 'logs', 'filesystem'],
  marks: { file: MARK_FILE, sha256: sha256(MARK_CONTENT), process: '/bin/app --serve' },
};

runProviderConformance('command', () => fixture);

describe('command provider specifics', () => {
  let evidence = 0;
  const newSink = () => fileEvidenceSink(path.join(scratch, `evidence-${++evidence}`));
  const pin = async (name: string): Promise<InfraTarget> => {
    startTarget(name, 'specifics', { suite: 'specifics' });
    const [target] = (await provider().inventory({ name })).targets;
    return target!;
  };

  it('gives the request on stdin as JSON, and only the operation in argv', async () => {
    const seen = path.join(scratch, 'seen');
    script('spy', `printf '%s\\n' "$#" "$@" > ${seen}.argv\ncat > ${seen}.stdin\necho '{ "targets": [] }'`);
    const target = await pin('spied');
    const spying = provider({ operations: { inventory: 'spy' } });
    await spying.inventory({ labels: { secret: 'not-in-argv' } }, { limit: 7 });
    expect(readFileSync(`${seen}.argv`, 'utf8')).toBe('1\ninventory\n');
    expect(JSON.parse(readFileSync(`${seen}.stdin`, 'utf8'))).toEqual({
      operation: 'inventory',
      selector: { labels: { secret: 'not-in-argv' } },
      limit: 7,
    });
    script('spy-isolate', `printf '%s\\n' "$#" "$@" > ${seen}.argv\ncat > ${seen}.stdin\necho '{ "changes": [] }'`);
    const isolating = provider({
      operations: { inventory: 'fake-infra', isolate: 'spy-isolate', unisolate: 'fake-infra' },
    });
    expect(await isolating.isolate(target)).toMatchObject({ changes: [], alreadyIsolated: true });
    expect(readFileSync(`${seen}.argv`, 'utf8')).toBe('1\nisolate\n');
    expect(JSON.parse(readFileSync(`${seen}.stdin`, 'utf8'))).toEqual({ operation: 'isolate', target });
  });

  it('refuses a bad answer naming the script, the operation and the field, with COMMAND_FAILED', async () => {
    const target = { id: 'a'.repeat(64), name: 'x', image: { ref: 'r' }, state: 'running' };
    const answers: Array<[string, RegExp]> = [
      ['echo not json', /^garbage \(inventory\) did not write one JSON object on stdout$/],
      [`echo '[1]'`, /^garbage \(inventory\) wrote JSON that is not an object/],
      [`echo '{ "targets": [{ "id": 7 }] }'`, /^garbage \(inventory\) answered a bad result: targets\[0\]\.id: /],
      [
        `echo '${JSON.stringify({ targets: [{ ...target, colour: 'red' }] })}'`,
        /^garbage \(inventory\) answered a bad result: targets\[0\]: .*colour/,
      ],
      [
        `echo '${JSON.stringify({ targets: [{ ...target, labels: { k: 'v\u0007' } }] })}'`,
        /targets\[0\]\.labels\.k: must not hold control characters/,
      ],
      [
        `echo '${JSON.stringify({ targets: [{ ...target, id: 'b'.repeat(300) }] })}'`,
        /targets\[0\]\.id: at most 256 characters/,
      ],
      [`echo '${JSON.stringify({ targets: [target, target] })}'`, /targets\[1\]\.id a+ is listed twice/],
      // A script cannot widen what a runbook pinned: a target that does not match the selector is refused.
      [
        `echo '${JSON.stringify({ targets: [{ ...target, name: 'other' }] })}'`,
        /targets\[0\] \(a+\) does not match the selector/,
      ],
      // More than 4 MiB on stdout is not an answer.
      ['head -c 5000000 /dev/zero | tr "\\0" " "', /garbage \(inventory\) wrote more than 4194304 bytes on stdout/],
    ];
    for (const [body, message] of answers) {
      script('garbage', body);
      const error = await failure(provider({ operations: { inventory: 'garbage' } }).inventory({ name: 'x' }));
      expect(error.code).toBe(ErrorCode.CommandFailed);
      expect(error.message).toMatch(message);
    }
  });

  it('maps exit codes: 75 TRANSIENT, 68 NOT_FOUND, 65 INVALID_INPUT, 77 NOT_ALLOWED, others COMMAND_FAILED', async () => {
    const codes: Array<[number, string]> = [
      [75, ErrorCode.Transient],
      [68, ErrorCode.NotFound],
      [66, ErrorCode.NotFound],
      [65, ErrorCode.InvalidInput],
      [70, ErrorCode.InvalidInput],
      [77, ErrorCode.NotAllowed],
      [1, ErrorCode.CommandFailed],
      [2, ErrorCode.CommandFailed],
    ];
    for (const [exit, code] of codes) {
      script('exits', `echo "went wrong with $FAKE_SECRET" >&2\nexit ${exit}`);
      const failing = provider({
        operations: { inventory: 'exits' },
        env: { FAKE_SECRET: { secret: 'env:FAKE_TOKEN' } },
      });
      const error = await failure(failing.inventory({ name: 'x' }));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(new RegExp(`^exits \\(inventory\\) exited with ${exit}`));
      // The secret the script was given is not repeated in the message that quotes its stderr.
      expect(error.message).toContain('went wrong with [redacted]');
      expect(error.message).not.toContain('hunter2');
    }
    script('killed', 'kill -9 $$');
    expect((await failure(provider({ operations: { inventory: 'killed' } }).inventory({ name: 'x' }))).message).toMatch(
      /killed \(inventory\) was killed by SIGKILL/,
    );
  });

  it('gives scripts a minimal environment with its secrets resolved at each run', async () => {
    const out = path.join(scratch, 'env');
    script('env-spy', `env | sort > ${out}\necho '{ "targets": [] }'`);
    process.env.FIREBREAK_WORKER_ONLY = 'worker-secret';
    try {
      await provider({
        operations: { inventory: 'env-spy' },
        env: { REGION: 'eu-west-1', TOKEN: { secret: 'env:FAKE_TOKEN' } },
      }).inventory({ name: 'x' });
    } finally {
      delete process.env.FIREBREAK_WORKER_ONLY;
    }
    const env = readFileSync(out, 'utf8');
    expect(env).toContain('REGION=eu-west-1\n');
    expect(env).toContain('TOKEN=hunter2-fake-token\n');
    expect(env).not.toContain('worker-secret');
    const missing = await failure(
      provider({ operations: { inventory: 'env-spy' }, env: { TOKEN: { secret: 'env:NOT_SET' } } }).inventory({
        name: 'x',
      }),
    );
    expect(missing.code).toBe(ErrorCode.SecretUnavailable);
  });

  it('stops a script past its timeout (the whole process group) with TIMEOUT', async () => {
    script('slow', 'sleep 30 &\nsleep 30');
    const started = Date.now();
    const error = await failure(
      provider({ operations: { inventory: 'slow' }, timeoutMs: 300, killGraceMs: 200 }).inventory({ name: 'x' }),
    );
    expect(error.code).toBe(ErrorCode.Timeout);
    expect(error.message).toMatch(/^slow \(inventory\) ran past its .* timeout and was stopped/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a script that is not a file in the scripts directory, before running anything', async () => {
    for (const name of ['../fake-infra', 'absent']) {
      const error = await failure(provider({ operations: { inventory: name } }).inventory({ name: 'x' }));
      expect(error.code).toBe(ErrorCode.NotAllowed);
    }
    expect(() => provider({ operations: { protect: 'fake-infra' } })).toThrow(/operations\.inventory is required/);
    expect(() => provider({ operations: { inventory: 'fake-infra', isolate: 'fake-infra' } })).toThrow(
      /isolate and unisolate go together/,
    );
  });

  it('destroys, checks health and looks for indicators through the scripts', async () => {
    const fake = provider();
    const target = await pin('burnt');
    writeFileSync(path.join(infra, 'fs', target.id, 'etc', 'implant'), 'evil\n');
    expect(await fake.health({ target })).toEqual({ targetId: target.id, healthy: true, detail: 'state running' });
    const found = await fake.indicators({
      target,
      indicators: [
        { kind: 'file', path: '/etc/implant' },
        { kind: 'file', path: '/etc/absent' },
        { kind: 'process', pattern: 'app --serve' },
        { kind: 'hash', path: '/etc/implant', sha256: sha256('evil\n') },
      ],
    });
    expect(found.findings.map((f) => f.present)).toEqual([true, false, true, true]);
    expect(found.findings[0]!.indicator).toEqual({ kind: 'file', path: '/etc/implant' });
    expect(await fake.destroy({ target })).toEqual({ targetId: target.id, removed: true, keptVolumes: [] });
    expect((await fake.inventory({ id: target.id })).targets).toEqual([]);
    // A retried destroy of a target already gone passes, saying so.
    expect(await fake.destroy({ target })).toEqual({ targetId: target.id, removed: false, keptVolumes: [], alreadyGone: true });
    const unsupported = await failure(fake.redeploy({ target, artefact: { kind: 'image', ref: 'x@sha256:00' } }));
    expect(unsupported.code).toBe(ErrorCode.Unsupported);
    expect(unsupported.message).toContain('has no script for redeploy (infra.providers.fake.operations)');
  });

  it('redeploys by digest only, and pins the replacement as inventory pins a target', async () => {
    const target = await pin('replaced');
    const seen = path.join(scratch, 'redeploy.stdin');
    script(
      'redeploy',
      `cat > ${seen}\njq '{ target: (.target | del(.provider, .kind) | .id = "r-\\(.id)" | .image = { ref: $ARGS.named.ref, pinned: $ARGS.named.ref }) }' --arg ref "$(jq -r .artefact.ref ${seen})" ${seen}`,
    );
    const redeploying = provider({ operations: { inventory: 'fake-infra', redeploy: 'redeploy' } });
    const ref = `fake.registry/app@sha256:${'a'.repeat(64)}`;
    const result = await redeploying.redeploy({
      target,
      artefact: { kind: 'image', ref },
      overrides: { env: ['A=1'] },
    });
    expect(result.replaced).toBe(target.id);
    expect(result.target).toMatchObject({
      provider: 'fake',
      kind: 'command',
      id: `r-${target.id}`,
      name: 'replaced',
      image: { ref },
    });
    expect(Object.isFrozen(result.target.image)).toBe(true);
    expect(JSON.parse(readFileSync(seen, 'utf8'))).toMatchObject({
      operation: 'redeploy',
      artefact: { kind: 'image', ref },
      overrides: { env: ['A=1'] },
    });
    rmSync(seen);
    const tagged = await failure(
      redeploying.redeploy({ target, artefact: { kind: 'image', ref: 'fake.registry/app:latest' } }),
    );
    expect(tagged.code).toBe(ErrorCode.InvalidInput);
    expect(tagged.message).toContain('is not pinned by digest');
    expect(existsSync(seen)).toBe(false);
  });

  it('streams a large artefact from its file without holding it, and removes the private directory', async () => {
    const dirs = path.join(scratch, 'capture-dirs');
    script(
      'big-capture',
      [
        `dir=$(jq -r .dir)`,
        `echo "$dir" >> ${dirs}`,
        `head -c 134217728 /dev/zero > "$dir/disk.img"`,
        `echo '{ "artefacts": [{ "artefact": "filesystem", "file": "disk.img" }] }'`,
      ].join('\n'),
    );
    const target = await pin('big');
    const sink = newSink();
    const streamed: number[] = [];
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const result = await provider({ operations: { inventory: 'fake-infra', capture: 'big-capture' } })
      .capture({ target, artefacts: ['filesystem'], sink, streaming: ({ bytes }) => streamed.push(bytes) })
      .finally(() => clearInterval(sampler));
    expect(result.artefacts).toEqual([
      { artefact: 'filesystem', location: sink.stored[0]!.location, size: 134217728, sha256: sink.stored[0]!.sha256 },
    ]);
    expect(sink.stored[0]).toMatchObject({ artefact: 'big/disk.img', contentType: 'application/octet-stream' });
    expect(createHash('sha256').update(readFileSync(sink.stored[0]!.location)).digest('hex')).toBe(
      result.artefacts[0]!.sha256,
    );
    expect(streamed.length).toBeGreaterThanOrEqual(15);
    expect(streamed).toEqual([...streamed].sort((a, b) => a - b));
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
    const dir = readFileSync(dirs, 'utf8').trim();
    expect(dir.startsWith(tmpdir())).toBe(true);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  it('refuses a capture answer naming a link, a path, an artefact not asked or one missing: nothing stored, directory removed', async () => {
    const dirs = path.join(scratch, 'bad-capture-dirs');
    const answers: Array<[string, RegExp]> = [
      [
        `ln -s /etc/passwd "$dir/logs.txt"\necho '{ "artefacts": [{ "artefact": "logs", "file": "logs.txt" }] }'`,
        /file "logs\.txt" is a link/,
      ],
      [
        `echo '{ "artefacts": [{ "artefact": "logs", "file": "../logs.txt" }] }'`,
        /file "\.\.\/logs\.txt" is not a file name/,
      ],
      [`echo '{ "artefacts": [{ "artefact": "logs", "file": "absent.txt" }] }'`, /file "absent\.txt" does not exist/],
      [
        `mkdir "$dir/d"\necho '{ "artefacts": [{ "artefact": "logs", "file": "d" }] }'`,
        /file "d" is not a regular file/,
      ],
      [
        `echo x > "$dir/m"\necho '{ "artefacts": [{ "artefact": "metadata", "file": "m" }] }'`,
        /artefact "metadata" was not asked for/,
      ],
      [`echo '{ "artefacts": [] }'`, /it did not capture logs/],
    ];
    const target = await pin('bad-capture');
    for (const [body, message] of answers) {
      script('bad-capture', `dir=$(jq -r .dir)\necho "$dir" >> ${dirs}\n${body}`);
      const sink = newSink();
      const error = await failure(
        provider({ operations: { inventory: 'fake-infra', capture: 'bad-capture' } }).capture({
          target,
          artefacts: ['logs'],
          sink,
        }),
      );
      expect(error.code).toBe(ErrorCode.CommandFailed);
      expect(error.message).toMatch(/^bad-capture \(capture\) answered a bad result: /);
      expect(error.message).toMatch(message);
      expect(sink.stored).toEqual([]);
    }
    const seen = readFileSync(dirs, 'utf8').trim().split('\n');
    expect(seen).toHaveLength(answers.length);
    for (const dir of seen) expect(existsSync(dir)).toBe(false);
  });

  it('builds command providers from the config, with the scripts directory of actions.command', async () => {
    const config = InfraConfigSchema.parse({
      providers: {
        fake: {
          kind: 'command',
          operations: { inventory: 'fake-infra', capture: 'fake-infra' },
          env: { FAKE_INFRA: infra },
        },
      },
    });
    expect(() => infraProvidersFromConfig(config, { secrets })).toThrow(/needs actions\.command\.scriptsDir/);
    const built = infraProvidersFromConfig(config, { secrets, scriptsDir }).get('fake');
    expect(built).toMatchObject({ name: 'fake', kind: 'command' });
    expect([...built.capabilities].sort()).toEqual(['capture', 'inventory']);
    startTarget('configured', 'specifics', {});
    expect((await built.inventory({ name: 'configured' })).targets.map((t) => t.provider)).toEqual(['fake']);
  });
});
