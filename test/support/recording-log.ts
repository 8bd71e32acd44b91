// A logger for unit tests that keeps what it is told, to check a log line and its fields.
import type { Logger } from '../../src/log/create-logger.js';

/** One call of the logger: its level, its (constant) message and its fields. */
export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps the messages it is given, by level, in `lines`. */
export function recordingLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => lines.push({ level, msg, fields });
  return { log: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } as unknown as Logger, lines };
}
