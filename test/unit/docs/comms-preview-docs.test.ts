/**
 * The `comms preview` commands the README and docs/communications.md show run as written from the
 * repository root, with the facts file that ships under examples/, and render the step they name.
 */
import { describe, expect, it } from 'vitest';
import { documentedCommands, firebreak } from './shell-commands.js';

const PREFIX = 'npx firebreak comms preview';

describe.each(['README.md', 'docs/communications.md'])('the comms preview in %s', (doc) => {
  const commands = documentedCommands(doc, PREFIX);

  it('is shown', () => {
    expect(commands.length).toBeGreaterThan(0);
  });

  it.each(commands.map((words) => [words.slice(2).join(' '), words] as const))('runs: %s', async (_, words) => {
    const [runbook, step] = words.slice(4);
    const result = await firebreak(words.slice(2));
    expect(result.err.replace(/^warning: .*\n/gm, '')).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain(`(step ${step} of runbook ${runbook})`);
    expect(result.out).toContain('Nothing was sent: this is a local preview.');
  });
});
