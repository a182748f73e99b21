/** `timeline.note`: appends a line to the incident timeline. Markers are left as references, never resolved. */
import { z } from 'zod';
import type { ActionDefinition, ActionSpec } from './types.js';

/** Longest note the timeline keeps, in characters; a longer one is cut with a marker saying so. */
export const MAX_NOTE_CHARS = 4000;

/**
 * Input of `timeline.note`. The text has no maximum: values interpolated into it make its length known only
 * at run time, and a note too long to show whole is cut, never a reason to fail the step (and abort the run).
 */
export const TimelineNoteInput = z.strictObject({
  text: z.string().min(1),
});
export type TimelineNoteInput = z.infer<typeof TimelineNoteInput>;

/** Name, description and schema of `timeline.note`. */
export const timelineNoteSpec: ActionSpec<typeof TimelineNoteInput> = {
  name: 'timeline.note',
  description: `Append a note to the incident timeline (cut at ${MAX_NOTE_CHARS} characters).`,
  input: TimelineNoteInput,
};

/** The `timeline.note` action; it needs no configuration. */
export const timelineNoteAction: ActionDefinition<typeof TimelineNoteInput> = {
  ...timelineNoteSpec,
  // The timeline is shown in clear, so a secret marker stays a marker (its reference, not its value).
  execute: (input) => {
    const text = clipNote(input.text);
    return Promise.resolve({ output: { text }, note: text });
  },
};

/** A note within `MAX_NOTE_CHARS`: a longer one keeps its start and says how long it was. */
export function clipNote(text: string): string {
  if (text.length <= MAX_NOTE_CHARS) return text;
  const marker = ` … [note cut at ${MAX_NOTE_CHARS} of ${text.length} characters]`;
  let keep = MAX_NOTE_CHARS - marker.length;
  // Never split a character written as a surrogate pair.
  const last = text.charCodeAt(keep - 1);
  if (last >= 0xd800 && last <= 0xdbff) keep -= 1;
  return `${text.slice(0, keep)}${marker}`;
}
