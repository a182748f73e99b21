/**
 * The sections people write: their headings and the prompt a reader sees while one is still empty. The
 * prompts keep a review blameless: they ask about the system, never about who erred.
 */
import { SECTION_IDS, type SectionId } from './types.js';

/** Each section's heading and prompt, in the order `SECTION_IDS` shows them. */
export const SECTION_PROMPTS: Readonly<Record<SectionId, { title: string; prompt: string }>> = {
  summary: { title: 'Summary', prompt: 'what happened and what it affected, in two or three sentences' },
  'what-happened': {
    title: 'What happened',
    prompt: 'how it began, how it was detected, how it was handled (the timeline above has the facts)',
  },
  'contributing-factors': {
    title: 'Contributing factors',
    prompt: 'what made this possible? (about the system, not people)',
  },
  'went-well': { title: 'What went well', prompt: 'what helped the response?' },
  'went-poorly': { title: 'What went poorly', prompt: 'what slowed the response or made it harder?' },
  lucky: { title: 'Where we got lucky', prompt: 'what went right by chance, and might not next time?' },
  lessons: { title: 'Lessons learned', prompt: 'what will we change, and what should other teams know?' },
};

/** What people have written so far, by section; a section absent or blank is shown with its prompt. */
export type WrittenSections = Partial<Record<SectionId, string>>;

/** The sections in order, each with its text (undefined while empty) and its prompt. */
export function sectionsInOrder(
  written: WrittenSections,
): { id: SectionId; title: string; prompt: string; text: string | undefined }[] {
  return SECTION_IDS.map((id) => {
    const text = Object.hasOwn(written, id) ? written[id] : undefined;
    return { id, ...SECTION_PROMPTS[id], text: text === undefined || text.trim() === '' ? undefined : text.trim() };
  });
}
