/** Small zod schemas shared by several actions. */
import { z } from 'zod';
import { DURATION_PATTERN } from '../domain/duration.js';

/** A runbook duration (`30s`, `15m`, `2h`), kept as text so the schema exports to JSON Schema. */
export const DurationText = z.string().regex(DURATION_PATTERN, 'must be a duration like 30s, 15m or 2h');

/** How the names of a string map are checked: the pattern they follow and the ones that are reserved. */
export interface NameRules {
  pattern: RegExp;
  patternMessage: string;
  reserved: (name: string) => boolean;
  reservedMessage: string;
}

/**
 * A map of names to strings (headers, environment) whose names are checked one by one, each problem
 * reported at the name's own path (a record's key schema would only say "Invalid key in record").
 */
export function stringMap(rules: NameRules) {
  return z.record(z.string(), z.string()).superRefine((map, ctx) => {
    for (const name of Object.keys(map)) {
      if (!rules.pattern.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: rules.patternMessage });
      else if (rules.reserved(name)) ctx.addIssue({ code: 'custom', path: [name], message: rules.reservedMessage });
    }
  });
}
