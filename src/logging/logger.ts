/** The process logger: pino, JSON lines on stderr, with secret-bearing fields redacted by path. */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

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

/** Creates the process logger. `level` comes from config (FIREBREAK_LOG_LEVEL), default `info`. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'firebreak',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: false }),
  );
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
