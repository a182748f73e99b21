/** The log formats and levels the commands accept, apart from the logger so the CLI can name them cheaply. */

/** How log lines are written: `json` (one object a line) or `pretty` (time, level, message, then fields). */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The levels FIREBREAK_LOG_LEVEL may name, most to least verbose, and `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
