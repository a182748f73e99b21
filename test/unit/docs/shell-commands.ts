/** The shell commands a document shows, split into words as a POSIX shell would, for tests that run them as written. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { builtinActionCatalog } from '../../../src/actions/registry.js';
import type { CliDeps } from '../../../src/cli/context.js';
import { runCli } from '../../../src/cli/main.js';

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * Every command in the `sh` code blocks of `doc` (relative to the root) that starts with `prefix`, with
 * `\` line continuations joined, comments dropped and quotes removed; `$VAR` is kept as written.
 */
export function documentedCommands(doc: string, prefix: string): string[][] {
  const text = readFileSync(path.join(ROOT, doc), 'utf8');
  const blocks = [...text.matchAll(/^ *```sh\n([\s\S]*?)^ *```/gm)].map((match) => match[1] ?? '');
  const lines = blocks.flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'));
  return lines
    .map((line) => line.trim())
    .filter((line) => line.startsWith(prefix))
    .map(shellWords);
}

/** Splits a command line into words: single and double quotes, a `#` comment outside quotes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (const char of line) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else word = (word ?? '') + char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (char === '#' && word === undefined) {
      break;
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Runs `firebreak <args>` in-process as a user at `cwd` would, with the shipped actions. */
export async function firebreak(
  args: string[],
  cwd = ROOT,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    out: (text) => (out += text),
    err: (text) => (err += text),
    env,
    cwd,
    actions: builtinActionCatalog,
  };
  const code = await runCli(args, deps);
  return { code, out, err };
}
