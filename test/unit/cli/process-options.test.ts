/**
 * What the long-running commands print besides their output: `--version`, and log lines that are human on
 * a terminal and JSON otherwise (`--log-format` chooses), at the level FIREBREAK_LOG_LEVEL names. A bad
 * format or level is refused before anything starts or is created.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../../src/cli/context.js';
import { logSettings } from '../../../src/cli/log-options.js';
import { runCli } from '../../../src/cli/main.js';
import { createLogger, type LoggerOptions } from '../../../src/logging/logger.js';
import { eventually } from '../../support/poll.js';
import { testActions } from '../runbook/helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-process-options-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function deps(env: NodeJS.ProcessEnv = {}, stderrIsTTY?: boolean): CliDeps & { output: () => [string, string] } {
  let out = '';
  let err = '';
  return {
    out: (text) => (out += text),
    err: (text) => (err += text),
    env,
    cwd: dir,
    actions: testActions,
    ...(stderrIsTTY === undefined ? {} : { stderrIsTTY }),
    output: () => [out, err],
  };
}

describe('firebreak --version', () => {
  it('prints the package version and exits 0', async () => {
    for (const flag of ['--version', '-V']) {
      const cli = deps();
      expect(await runCli([flag], cli)).toBe(0);
      expect(cli.output()).toEqual([`${VERSION}\n`, '']);
    }
  });
});

describe('log settings', () => {
  it('are human lines with colours on a terminal, JSON otherwise; --log-format wins either way', () => {
    expect(logSettings(deps({}, true), {})).toEqual({ level: 'info', format: 'pretty', colorize: true });
    expect(logSettings(deps({}, false), {})).toEqual({ level: 'info', format: 'json', colorize: false });
    expect(logSettings(deps(), {})).toEqual({ level: 'info', format: 'json', colorize: false });
    expect(logSettings(deps({}, true), { logFormat: 'json' }).format).toBe('json');
    expect(logSettings(deps({}, false), { logFormat: 'pretty' }).format).toBe('pretty');
    expect(logSettings(deps({ FIREBREAK_LOG_LEVEL: 'debug' }), {}).level).toBe('debug');
  });

  it('refuse an unknown format or level in dev, server and worker before anything is created', async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--log-format', 'xml'], {}, /argument 'xml' is invalid\. Allowed choices are json, pretty\./],
      [[], { FIREBREAK_LOG_LEVEL: 'loud' }, /error: FIREBREAK_LOG_LEVEL must be one of trace, .*silent, got "loud"/],
    ];
    for (const command of ['dev', 'server', 'worker']) {
      for (const [flags, env, message] of cases) {
        const cli = deps(env);
        const code = await runCli([command, '--data-dir', 'data', ...flags], cli);
        const [out, err] = cli.output();
        expect([command, flags, code, out]).toEqual([command, flags, 1, '']);
        expect(err).toMatch(message);
        expect(existsSync(path.join(dir, 'data'))).toBe(false);
      }
    }
  });
});

describe('createLogger', () => {
  async function logged(options: LoggerOptions): Promise<string> {
    const destination = new PassThrough();
    let text = '';
    destination.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const logger = createLogger({ ...options, destination });
    // The debug line first: once the info line has come through, whatever was logged before it has too.
    logger.debug('not at info');
    logger.info({ runbook: 'credential-leak', token: 'fb_live_secret' }, 'API listening');
    return eventually(() => (text.includes('API listening') && text.endsWith('\n') ? text : undefined), {
      timeoutMs: 5_000,
      intervalMs: 10,
      what: () => `the info line never came through; got ${JSON.stringify(text)}`,
    });
  }

  it('writes pretty lines a person reads, secrets redacted', async () => {
    const text = await logged({ format: 'pretty' });
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: API listening\n/);
    expect(text).toContain('runbook: "credential-leak"');
    expect(text).toContain('token: "[redacted]"');
    expect(text).not.toContain('fb_live_secret');
    expect(text).not.toContain('{"level"');
    expect(text).not.toContain('not at info');
    expect(text).not.toContain('\u001b['); // no colours unless asked
  });

  it('writes one JSON object a line by default, secrets redacted', async () => {
    const lines = (await logged({})).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 30,
      name: 'firebreak',
      msg: 'API listening',
      runbook: 'credential-leak',
      token: '[redacted]',
    });
  });
});
