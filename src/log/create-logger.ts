import path from 'node:path';
import { pino, type DestinationStream, type Logger, type StreamEntry } from 'pino';
import pinoPretty from 'pino-pretty';
import pinoRoll from 'pino-roll';
import type { Config } from '../config/config.js';
import { isoInstant } from '../shared/iso-instant.js';
import { attachRecentErrors, RecentErrors } from './recent-errors.js';
import { createLineRedactor } from './redact.js';
import { DEFAULT_LOCALE, type Locale } from '../shared/i18n/locale.js';
import { t } from '../shared/i18n/translate.js';

/** robusto's logger: pino, one JSON object per line unless `LOG_FORMAT=pretty`. */
export type { Logger } from 'pino';

const LOG_FILE_NAME = 'robusto';
const LOG_FILE_MAX_SIZE = '10m';
const LOG_FILES_KEPT = 14;
const LOG_FILE_COMPLAINT_INTERVAL_MS = 60_000;

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Where lines go instead of stdout (tests capture them here). */
  destination?: DestinationStream;
  /** The language of what it writes to stderr itself (a log file it cannot write); the lines it logs stay English. */
  locale?: Locale;
}

/**
 * pino's `timestamp` option: `,"time":"<ISO 8601 instant, milliseconds, Z>"`, exactly what
 * `pino.stdTimeFunctions.isoTime` writes, through {@link isoInstant}: every request writes a
 * line, and formatting the date was a visible part of it in CPU profiles.
 */
export function isoTimestamp(now: number = Date.now()): string {
  return `,"time":"${isoInstant(now)}"`;
}

/**
 * Creates the process's root logger from the config: level, JSON or pretty output, optional
 * rotated file under `DATA_DIR/logs`, and redaction of secrets and Brazilian documents on every
 * line (see {@link createLineRedactor}); its last error lines are kept for the admin (see
 * {@link recentErrorsOf}).
 */
export async function createLogger(config: Readonly<Config>, options: CreateLoggerOptions = {}): Promise<Logger> {
  const main: DestinationStream =
    options.destination ??
    (config.log.format === 'pretty'
      ? pinoPretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', sync: true })
      : // Asynchronous: a request never waits for the terminal or pipe; flushLogger() at shutdown,
        // including after a fatal error, writes out what is buffered.
        pino.destination({ dest: 1, sync: false }));

  const streams: StreamEntry[] = [{ level: 'trace', stream: main }];
  if (config.log.file) {
    const file = await pinoRoll({
      file: path.join(config.paths.logsDir, LOG_FILE_NAME),
      extension: '.log',
      frequency: 'daily',
      size: LOG_FILE_MAX_SIZE,
      mkdir: true,
      limit: { count: LOG_FILES_KEPT },
    });
    // A full disk or a failed rotation must not stop the server (an unhandled 'error' event
    // would): say so on stderr, at most once a minute, and keep logging to stdout.
    let lastComplaint = 0;
    (file as unknown as NodeJS.EventEmitter).on('error', (error: Error) => {
      if (Date.now() - lastComplaint < LOG_FILE_COMPLAINT_INTERVAL_MS) return;
      lastComplaint = Date.now();
      process.stderr.write(`${t(options.locale ?? DEFAULT_LOCALE, 'log.fileUnwritable', { dir: config.paths.logsDir, error: error.message })}\n`);
    });
    streams.push({ level: 'trace', stream: file });
  }

  const redact = createLineRedactor([config.secretKey, ...(config.backup.encryptionKey ? [config.backup.encryptionKey] : [])]);
  const recent = new RecentErrors();
  const logger = pino(
    {
      level: config.log.level,
      base: { pid: process.pid },
      timestamp: isoTimestamp,
      hooks: {
        // Every line is redacted once, and the error lines kept as written for the admin.
        streamWrite: (line) => {
          const written = redact(line);
          recent.note(written);
          return written;
        },
      },
    },
    streams.length === 1 ? main : pino.multistream(streams),
  );
  attachRecentErrors(logger, recent);
  return logger;
}

/** Writes out whatever the logger still buffers; resolves when done (or after 1 s). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
