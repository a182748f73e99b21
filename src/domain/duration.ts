/** Durations as runbooks write them (`30s`, `15m`, `4h`, `3d`, `2w`), parsed to milliseconds. Workflow-safe. */

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The accepted spelling of a duration: a positive whole number and one unit. */
export const DURATION_PATTERN = /^([1-9][0-9]{0,8})(s|m|h|d|w)$/;

/** Parses a runbook duration to milliseconds, or returns undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const unit = UNIT_MS[match[2] as string];
  return unit === undefined ? undefined : Number(match[1]) * unit;
}

/** Formats milliseconds as the largest exact runbook unit (`90m` stays `90m`, `120m` becomes `2h`). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Formats a remaining time for people: `2d 3h`, `45m`, `10s`. Negative values read as overdue. */
export function humanizeDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return sign + parts.join(' ');
}
