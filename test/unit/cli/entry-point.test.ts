/** The real entry point: `src/cli/main.ts` run as a process parses argv and sets the exit code. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

function firebreak(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, FIREBREAK_CONFIG: '' },
  });
}

describe('firebreak entry point', () => {
  it('validates the starter runbooks with the built-in actions and exits 0', () => {
    const result = firebreak('runbook', 'validate', 'runbooks');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('11 files checked: all valid\n');
    expect(result.status).toBe(0);
  });

  it('exits 1 on problems, without a stack trace', () => {
    const result = firebreak('runbook', 'validate', 'test/fixtures/runbooks/invalid/unknown-action.yaml');
    expect(result.status).toBe(1);
    // The list also names the backup and restore actions, which grow with the recovery work.
    expect(result.stdout).toMatch(
      /steps\[1\]\.action {2}unknown action `pager\.send` \(known actions: [^)]*command\.run, [^)]*http\.request, [^)]*timeline\.note\)/,
    );
    expect(result.stderr).not.toContain('    at ');
  });
});
