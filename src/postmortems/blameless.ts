/**
 * The blameless check: flags sentences in a post-mortem that put the cause of a failure in a person
 * rather than in the system. It runs at review and at publication; publication needs every flag
 * rephrased (it is gone on the next check) or acknowledged with a reason.
 *
 * Two rules, both heuristics that lean towards flagging (a false flag costs an acknowledgement, a missed
 * one costs a colleague):
 * - a blaming phrase anywhere ("human error", "should have", "forgot", ...; `blameless-words.ts` plus the
 *   words config adds);
 * - a person on the roster named before a failure word in the same sentence ("Bob misconfigured the
 *   rule"). E-mail addresses match in any case; ids and names match capitalised or as a mention
 *   ("Bob", "Mark Twain", "@bob"), so an id or first name that is also a word ("mark") does not match it.
 * Pure and bounded: every pattern is a fixed alternation of escaped literals, run once per section.
 */
import { sha256Hex } from '../domain/sha256.js';
import { BLAME_PHRASES, FAILURE_WORDS } from './blameless-words.js';
import { SECTION_IDS, type SectionId } from './types.js';

export interface BlamelessFlag {
  /** Stable across unrelated edits: the section, the sentence (whitespace folded) and what matched. */
  id: string;
  section: SectionId;
  /** 1-based line and column of the match within the section's text. */
  line: number;
  column: number;
  sentence: string;
  match: string;
  rule: 'phrase' | 'person';
  /** The question that leads to a blameless rewrite. */
  instead: string;
}

export interface BlamelessOptions {
  /** The roster: id -> name and e-mail (a plan's `people`). */
  people?: Readonly<Record<string, { name?: string; email?: string }>>;
  /** More phrases to flag (config `postmortems.blamelessWords`). */
  extraWords?: readonly string[];
}

const WORD_CHAR = String.raw`[\p{L}\p{N}_]`;
const SENTENCE_SHOWN = 300;
const MIN_NAME_LENGTH = 3;

/** A literal as a pattern: escaped, any run of spaces matches any whitespace, either apostrophe matches. */
function literal(text: string): string {
  return text
    .trim()
    .replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
    .replace(/\s+/g, String.raw`\s+`)
    .replace(/['\u2019]/g, "['\u2019]");
}

/** One whole-word alternation, longest first so "should not have" wins over a shorter overlap. */
function alternation(words: readonly string[], flags: string): RegExp | undefined {
  const unique = [...new Set(words.map((w) => w.trim()).filter((w) => w.length > 0))];
  if (unique.length === 0) return undefined;
  unique.sort((a, b) => b.length - a.length);
  return new RegExp(`(?<!${WORD_CHAR})(?:${unique.map(literal).join('|')})(?!${WORD_CHAR})`, flags);
}

function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2019]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

interface Compiled {
  phrases: RegExp | undefined;
  insteadOf: ReadonlyMap<string, string>;
  namesAnyCase: RegExp | undefined;
  namesAsWritten: RegExp | undefined;
  failure: RegExp;
}

function compile(options: BlamelessOptions): Compiled {
  const insteadOf = new Map<string, string>();
  for (const { phrase, instead } of BLAME_PHRASES) insteadOf.set(normalise(phrase), instead);
  for (const word of options.extraWords ?? []) {
    if (!insteadOf.has(normalise(word)))
      insteadOf.set(normalise(word), 'describe what the system allowed, not who erred');
  }
  // E-mail addresses match in any case. Ids and names match capitalised as a name is written ("Bob",
  // "Mark Twain") or as a mention ("@bob"), so an id or first name that is also a word ("mark", "will")
  // does not match that word.
  const anyCase: string[] = [];
  const asWritten: string[] = [];
  const capitalised = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);
  for (const [id, person] of Object.entries(options.people ?? {})) {
    if (id.length >= MIN_NAME_LENGTH) asWritten.push(capitalised(id));
    anyCase.push(`@${id}`);
    if (person.email) anyCase.push(person.email);
    const name = person.name?.trim();
    if (name) {
      asWritten.push(name);
      const first = name.split(/\s+/)[0] ?? '';
      if (first.length >= MIN_NAME_LENGTH) asWritten.push(capitalised(first));
    }
  }
  return {
    phrases: alternation([...BLAME_PHRASES.map((p) => p.phrase), ...(options.extraWords ?? [])], 'giu'),
    insteadOf,
    namesAnyCase: alternation(anyCase, 'iu'),
    namesAsWritten: alternation(asWritten, 'u'),
    failure: alternation(FAILURE_WORDS, 'iu')!,
  };
}

/** Where `offset` is in `text`, 1-based. */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** The first person named in `sentence` before a failure word, and where. */
function personBeforeFailure(sentence: string, compiled: Compiled): { index: number; match: string } | undefined {
  const failure = compiled.failure.exec(sentence);
  if (!failure) return undefined;
  const before = sentence.slice(0, failure.index);
  const found = [compiled.namesAnyCase?.exec(before), compiled.namesAsWritten?.exec(before)]
    .filter((m): m is RegExpExecArray => m !== null && m !== undefined)
    .sort((a, b) => a.index - b.index)[0];
  return found ? { index: found.index, match: `${found[0]} … ${failure[0]}` } : undefined;
}

/** Where a flag was found: the section's text, the sentence, and the offset of the match in the text. */
interface Found {
  section: SectionId;
  text: string;
  sentence: string;
  offset: number;
}

function flagOf(
  found: Found,
  { match, rule, instead }: Pick<BlamelessFlag, 'match' | 'rule' | 'instead'>,
): BlamelessFlag {
  const { section, text, offset } = found;
  const sentence = found.sentence.replace(/\s+/g, ' ').trim();
  const id = sha256Hex(`${section}\n${normalise(sentence)}\n${normalise(match)}`).slice(0, 16);
  return {
    id,
    section,
    ...position(text, offset),
    sentence: sentence.length > SENTENCE_SHOWN ? `${sentence.slice(0, SENTENCE_SHOWN - 1)}…` : sentence,
    match,
    rule,
    instead,
  };
}

/**
 * The text with each line break inside a paragraph turned into a space (same length, so offsets still
 * point into the original): a sentence wrapped over two lines is one sentence. A blank line, a list item
 * or a heading still starts a new one.
 */
function joinWrappedLines(text: string): string {
  return text.replace(/(?<=\S[^\S\n]*)\n(?=[^\S\n]*(?![-*+>#]|\d+[.)])\S)/g, ' ');
}

/** Every flag in the sections people wrote, in section order, then by position. */
export function checkBlameless(
  sections: Partial<Readonly<Record<SectionId, string>>>,
  options: BlamelessOptions = {},
): BlamelessFlag[] {
  const compiled = compile(options);
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  const flags: BlamelessFlag[] = [];
  for (const section of SECTION_IDS) {
    const text = Object.hasOwn(sections, section) ? sections[section] : undefined;
    if (!text) continue;
    for (const { segment, index } of segmenter.segment(joinWrappedLines(text))) {
      if (compiled.phrases) {
        for (const match of segment.matchAll(compiled.phrases)) {
          const instead = compiled.insteadOf.get(normalise(match[0])) ?? 'describe what the system allowed';
          const found = { section, text, sentence: segment, offset: index + match.index };
          flags.push(flagOf(found, { match: match[0], rule: 'phrase', instead }));
        }
      }
      const person = personBeforeFailure(segment, compiled);
      if (person) {
        const instead = 'make the system the subject: what allowed this to happen, and what would have caught it?';
        const found = { section, text, sentence: segment, offset: index + person.index };
        flags.push(flagOf(found, { match: person.match, rule: 'person', instead }));
      }
    }
  }
  return flags;
}
