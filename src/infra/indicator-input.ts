/**
 * Checks of the indicators a runbook asks a provider to look for, shared by every provider: they come from
 * a runbook, so they are bounded and checked before anything is contacted.
 */
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { Indicator } from './types.js';

/** The most indicators one request may hold, the longest path and the longest process pattern. */
export const MAX_INDICATORS = 100;
export const MAX_PATH_LENGTH = 4096;
export const MAX_PATTERN_LENGTH = 256;

export function refuseIndicator(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, `indicators: ${message}`);
}

/** Checks every indicator (they come from a runbook) before anything is contacted. */
export function checkIndicators(indicators: readonly Indicator[]): Indicator[] {
  if (!Array.isArray(indicators) || indicators.length === 0 || indicators.length > MAX_INDICATORS) {
    throw refuseIndicator(`give 1 to ${MAX_INDICATORS} indicators`);
  }
  return indicators.map((raw: unknown, i) => {
    const where = `indicators[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw refuseIndicator(`${where} must be { kind, ... }`);
    const item = raw as Record<string, unknown>;
    const path = (): string => {
      const value = item.path;
      if (typeof value !== 'string' || !value.startsWith('/') || value.length > MAX_PATH_LENGTH || /\p{Cc}/u.test(value)) {
        throw refuseIndicator(`${where}.path must be an absolute path (starting with /) of at most ${MAX_PATH_LENGTH} characters, without NUL or control characters`);
      }
      return value;
    };
    switch (item.kind) {
      case 'file':
        return { kind: 'file', path: path() };
      case 'hash': {
        const sha256 = item.sha256;
        if (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256)) throw refuseIndicator(`${where}.sha256 must be 64 hex digits`);
        return { kind: 'hash', path: path(), sha256: sha256.toLowerCase() };
      }
      case 'process': {
        const pattern = item.pattern;
        if (typeof pattern !== 'string' || pattern === '' || pattern.length > MAX_PATTERN_LENGTH || pattern.includes('\0')) {
          throw refuseIndicator(`${where}.pattern must be 1 to ${MAX_PATTERN_LENGTH} characters without NUL (matched literally)`);
        }
        return { kind: 'process', pattern };
      }
      default:
        throw refuseIndicator(`${where}.kind ${JSON.stringify(item.kind)} is not file, process or hash`);
    }
  });
}
