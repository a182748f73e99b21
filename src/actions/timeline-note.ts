/** `timeline.note`: appends a line to the incident timeline. Markers are left as references, never resolved. */
import { z } from 'zod';
import type { ActionDefinition, ActionSpec } from './types.js';

/** Input of `timeline.note`. */
export const TimelineNoteInput = z.strictObject({
  text: z.string().min(1).max(4000),
});
export type TimelineNoteInput = z.infer<typeof TimelineNoteInput>;

/** Name, description and schema of `timeline.note`. */
export const timelineNoteSpec: ActionSpec<typeof TimelineNoteInput> = {
  name: 'timeline.note',
  description: 'Append a note to the incident timeline.',
  input: TimelineNoteInput,
};

/** The `timeline.note` action; it needs no configuration. */
export const timelineNoteAction: ActionDefinition<typeof TimelineNoteInput> = {
  ...timelineNoteSpec,
  // The timeline is shown in clear, so a secret marker stays a marker (its reference, not its value).
  execute: (input) => Promise.resolve({ output: { text: input.text }, note: input.text }),
};
