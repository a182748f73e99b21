/** command.run with real scripts from test/fixtures/scripts. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CommandRunInput,
  commandRunAction,
  commandRunSpec,
  type CommandRunOptions,
} from '../../../src/actions/command-run.js';
import { rejection, testContext } from './support.js';

const scriptsDir = path.resolve(import.meta.dirname, '../../fixtures/scripts');

function options(overrides: Partial<CommandRunOptions> = {}): CommandRunOptions {
  return {
    scriptsDir,
    maxOutputBytes: 4096,
    defaultTimeoutMs: 10_000,
    baseEnv: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8' },
    killGraceMs: 200,
    ...overrides,
  };
}

async function run(input: Record<string, unknown>, env: Record<string, string> = {}, opts = options()) {
  const { ctx } = testContext({ env });
  await new Promise((resolve) => setImmediate(resolve)); // the context's secrets settle
  return commandRunAction(opts).execute(CommandRunInput.parse(input), ctx);
}

/** Whether a pid names a live (not zombie) process. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

afterEach(() => {
  delete process.env.FIREBREAK_TEST_WORKER_SECRET;
});

describe('command.run', () => {
  it('passes arguments literally, without a shell', async () => {
    const args = ['$(touch /tmp/firebreak-pwned)', '; echo pwned', 'two words', '*', ''];
    const result = await run({ command: 'echo-args', args });
    expect(result.output).toMatchObject({
      exitCode: 0,
      stdout: '[$(touch /tmp/firebreak-pwned)]\n[; echo pwned]\n[two words]\n[*]\n[]\n',
      stderr: '',
      truncated: { stdout: false, stderr: false },
    });
    expect(result.note).toBe('echo-args exited with 0');
  });

  it('parses stdout that is a JSON document', async () => {
    const result = await run({ command: 'report-json', args: ['web-1'] });
    expect(result.output).toMatchObject({ json: { host: 'web-1', isolated: true } });
  });

  it('fails a non-zero exit with COMMAND_FAILED and the stderr tail', async () => {
    const error = await rejection(run({ command: 'isolate-host', args: ['web-1'] }));
    expect(error.code).toBe('COMMAND_FAILED');
    expect(error.message).toBe(
      'isolate-host exited with 3: warning: security group sg-123 not found\ncannot isolate web-1: permission denied',
    );
    expect(error.details).toMatchObject({ exitCode: 3, stdout: 'isolating web-1\n' });
  });

  it('gives a minimal environment, never the worker’s', async () => {
    process.env.FIREBREAK_TEST_WORKER_SECRET = 'worker-only';
    const result = await run({ command: 'print-env', env: { REGION: 'eu-west-1' } });
    const names = String((result.output as { stdout: string }).stdout)
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('=')[0]);
    expect(names.filter((name) => !['PWD', 'SHLVL', '_'].includes(name ?? ''))).toEqual([
      'HOME',
      'LANG',
      'PATH',
      'REGION',
    ]);
  });

  it('passes secrets in env and redacts them from the output', async () => {
    const result = await run({ command: 'show-token', env: { API_TOKEN: 'tok-123456' } }, { API_TOKEN: 'tok-123456' });
    expect(result.output).toMatchObject({
      stdout: 'using token [redacted]\n',
      stderr: 'token was [redacted]\n',
    });
  });

  it('feeds stdin', async () => {
    const result = await run({ command: 'read-stdin', stdin: 'line one\nline two' });
    expect(result.output).toMatchObject({ stdout: 'line one\nline two' });
  });

  it('keeps the head of stdout and the tail of stderr at maxOutputBytes', async () => {
    const result = await run({ command: 'flood', args: ['100000'] }, {}, options({ maxOutputBytes: 1000 }));
    const output = result.output as { stdout: string; stderr: string; truncated: unknown };
    expect(output.stdout).toBe('o'.repeat(1000));
    expect(output.stderr).toBe(`${'e'.repeat(997)}END`);
    expect(output.truncated).toEqual({ stdout: true, stderr: true });
  });

  it('stops a command and its children at the timeout', async () => {
    const started = Date.now();
    const error = await rejection(run({ command: 'hang-with-child', timeout: '1s' }));
    expect([error.code, error.message]).toEqual(['TIMEOUT', 'hang-with-child ran past its 1s timeout and was stopped']);
    const childPid = Number((error.details as { stdout: string }).stdout.trim());
    expect(childPid).toBeGreaterThan(1);
    // SIGKILL went to the whole group before the step failed; the kernel may take a moment to finish the
    // child's exit after it closed its pipes (CI once saw it still running at this point).
    await vi.waitFor(() => expect(alive(childPid), `process ${childPid} still running`).toBe(false), {
      timeout: 1_000,
      interval: 10,
    });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('stops a command when the activity is cancelled', async () => {
    const controller = new AbortController();
    const { ctx } = testContext({ signal: controller.signal });
    const pending = commandRunAction(options()).execute(CommandRunInput.parse({ command: 'hang-with-child' }), ctx);
    const reason = new Error('cancelled by test');
    setTimeout(() => controller.abort(reason), 200);
    expect(await rejection(pending)).toBe(reason);
  });

  it.each(['../x', '/bin/sh', '..', 'sub/dir'])(
    'refuses the path %s at validation and at run time',
    async (command) => {
      expect(CommandRunInput.safeParse({ command }).error?.issues[0]?.message).toBe(
        'must be a file name in the scripts directory (no / or ..)',
      );
      const { ctx } = testContext();
      const error = await rejection(commandRunAction(options()).execute({ command }, ctx));
      expect([error.code, error.message]).toEqual([
        'NOT_ALLOWED',
        `command "${command}" must be a file name inside the scripts directory ${scriptsDir} (actions.command.scriptsDir)`,
      ]);
    },
  );

  it('refuses missing and non-executable scripts', async () => {
    const missing = await rejection(run({ command: 'no-such-script' }));
    expect([missing.code, missing.message]).toEqual([
      'NOT_ALLOWED',
      `command "no-such-script" is not a file in the scripts directory ${scriptsDir} (actions.command.scriptsDir)`,
    ]);
    const plain = await rejection(run({ command: 'not-executable' }));
    expect(plain.message).toBe(
      `command "not-executable" in the scripts directory ${scriptsDir} (actions.command.scriptsDir) is not executable`,
    );
  });

  it('takes secrets only in env and stdin, and refuses reserved environment names at validation', () => {
    expect(commandRunSpec.secretInputs).toEqual([['env', '*'], ['stdin']]);
    const result = CommandRunInput.safeParse({
      command: 'echo-args',
      env: { LD_PRELOAD: '/tmp/x.so', 'BAD NAME': 'x', PATH: '/tmp' },
    });
    expect(result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'env.LD_PRELOAD: is reserved: the worker sets it, or it would make the shell or loader run other code',
      'env.BAD NAME: must be an environment variable name',
      'env.PATH: is reserved: the worker sets it, or it would make the shell or loader run other code',
    ]);
  });
});
