/**
 * The commands of the README's walkthroughs as a reader sees them: the ```sh blocks of a section, one
 * command per line (a `\` continues it, a heredoc runs to its terminator), comment lines skipped (they
 * show output), and the exit code a command's comment gives it (`# ... exits 2`), else 0.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../unit/docs/shell-commands.js';

/** The file the walkthroughs are read from, relative to the repository root. */
export const README = 'README.md';

/** One command of a README walkthrough. */
export interface ReadmeCommand {
  /** The README line it starts on (1-based). */
  line: number;
  text: string;
  /** The exit code the README gives it (`# ... exits 2`), else 0. */
  exit: number;
}

/** The commands of the ```sh blocks of the README section under `## heading`, block by block. */
export function readmeCommands(heading: string): ReadmeCommand[][] {
  const lines = readFileSync(path.join(ROOT, README), 'utf8').split('\n');
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`${README} has no section "## ${heading}"`);
  const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  const blocks: ReadmeCommand[][] = [];
  for (let index = start + 1; index < (end < 0 ? lines.length : end); index += 1) {
    const fence = /^( *)```sh$/.exec(lines[index] ?? '');
    if (!fence) continue;
    const indent = fence[1]?.length ?? 0;
    const block: ReadmeCommand[] = [];
    index += 1;
    while (!/^ *```$/.test(lines[index] ?? '```')) {
      const first = index;
      const text = [(lines[index] ?? '').slice(indent)];
      const heredoc = /<<-?'?(\w+)'?/.exec(text[0] ?? '')?.[1];
      if (heredoc !== undefined) {
        while ((lines[index] ?? heredoc).slice(indent) !== heredoc && index < lines.length) {
          index += 1;
          text.push((lines[index] ?? '').slice(indent));
        }
      } else {
        while ((text.at(-1) ?? '').endsWith('\\')) {
          index += 1;
          text.push((lines[index] ?? '').slice(indent));
        }
      }
      index += 1;
      const joined = text.join('\n');
      if (joined.trim() === '' || joined.trim().startsWith('#')) continue;
      const exit = /#[^'"]*\bexits (\d+)\b[^'"]*$/.exec(text.at(-1) ?? '')?.[1];
      block.push({ line: first + 1, text: joined, exit: exit === undefined ? 0 : Number(exit) });
    }
    blocks.push(block);
  }
  return blocks;
}

/** `npm start [-- args]` or `npx firebreak dev ...`: a Firebreak the test runs in the background. */
export function serverCommand(text: string): string | undefined {
  const npmStart = /^npm start(?: --)?/.exec(text);
  if (npmStart) return `npx firebreak dev${text.slice(npmStart[0].length)}`;
  return /^npx firebreak dev\b/.test(text) ? text : undefined;
}
