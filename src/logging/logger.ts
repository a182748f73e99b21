/**
 * The process logger: pino on stderr, with secret-bearing fields redacted by path. JSON lines for log
 * collectors, or pino-pretty's human lines for a person at a terminal; redaction happens before either.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogFormat } from './formats.js';

export type Logger = PinoLogger;

export { LOG_FORMATS, LOG_LEVELS, type LogFormat } from './formats.js';

/** Field paths that may carry secrets; their values are replaced before a line is written. */
const REDACT_PATHS = [
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

/** What `createLogger` takes; every field has a default. */
export interface LoggerOptions {
  /** From FIREBREAK_LOG_LEVEL in the commands; default `info`. */
  level?: string;
  name?: string;
  /** Default `json`. */
  format?: LogFormat;
  /** Colours in `pretty` lines (the commands turn them on for a terminal); default off. */
  colorize?: boolean;
  /** Where lines go; default standard error. */
  destination?: NodeJS.WritableStream;
}

/** Creates the process logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    name: options.name ?? 'firebreak',
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return pino(settings, logDestination(options));
}

function logDestination(options: LoggerOptions): DestinationStream | NodeJS.WritableStream {
  if (options.format === 'pretty') {
    // In this thread rather than as a pino transport (a worker thread), like the JSON destination.
    return pinoPretty({
      destination: options.destination ?? 2,
      colorize: options.colorize ?? false,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
      sync: false,
    });
  }
  return options.destination ?? pino.destination({ fd: 2, sync: false });
}

/**
 * Routes the Temporal SDK's own log lines (worker state, retries) through our logger, once per process.
 * The SDK's own signal handling is turned off: the commands stop their workers themselves, in order.
 */
export function installTemporalLogging(logger: Logger, level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' = 'WARN'): void {
  try {
    Runtime.install({
      shutdownSignals: [],
      logger: new DefaultLogger(level, (entry) => {
        const fields = { sdk: true, ...(entry.meta ?? {}) };
        if (entry.level === 'ERROR') logger.error(fields, entry.message);
        else if (entry.level === 'WARN') logger.warn(fields, entry.message);
        else logger.info(fields, entry.message);
      }),
    });
  } catch {
    // a runtime is already installed in this process (tests)
  }
}
