import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/config.js';
import { readSmallFile } from '../bounded-read.js';
import { readEntries } from '../read-entries.js';
import { DEFAULT_LOCALE, type Locale } from '../../shared/i18n/locale.js';
import { isLocalText, t, text, textIn, type LocalText } from '../../shared/i18n/translate.js';

/** One phase of a restart as the report shows it. */
export interface RestartStep {
  phase: 'find' | 'backup' | 'journal' | 'stop' | 'start' | 'check';
  ok: boolean;
  /** What happened, in a sentence; for a failure, what to do. A text of the catalogues is written in the reader's language. */
  detail: string | LocalText;
  ms: number;
}

/** What a restart did: every phase run, the row counts compared, warnings, and where the report is. */
export interface RestartOutcome {
  ok: boolean;
  /** The old server was sent SIGTERM: a failure after this point is not "nothing was touched". */
  stopped: boolean;
  steps: RestartStep[];
  /** Things a person should look at although no phase failed. */
  warnings: Array<string | LocalText>;
  /** Rows per table: in the backup, when the old server had stopped, and after the new one started. */
  counts: Array<{ table: string; backup: number | undefined; atStop: number; afterStart: number | undefined }>;
  latencyMs: { health: number[]; api: Record<string, number> };
  backupDir: string | undefined;
  report: string;
}

/** A past restart as `GET /api/system/restarts` lists it, from the JSON written beside its report. */
export interface RestartRecord {
  report: string;
  startedAt: string;
  ok: boolean;
  /** The phase that failed, or null. */
  failedAt: RestartStep['phase'] | null;
  /** Whether the old server had been stopped (a failure before that left it untouched). */
  stopped: boolean;
  backupDir: string | null;
  warnings: string[];
  /** Every phase run, its detail kept as a text of the catalogues so a reader sees it in their language (absent from older records). */
  steps?: RestartStep[];
  /** The warnings kept the same way. */
  warningTexts?: Array<string | LocalText>;
}

const REPORT_NAME = /^restart-\d{8}T\d{9}Z\.json$/;

/** The largest restart record read: a few KiB of JSON. */
const MAX_RECORD_BYTES = 256 * 1024;

/**
 * The restarts recorded in `reportsDir`, newest first; unreadable records (and anything that is
 * not a regular file of a sane size) are skipped.
 */
export async function listRestarts(reportsDir: string): Promise<RestartRecord[]> {
  const records = await readEntries(
    reportsDir,
    (name) => REPORT_NAME.test(name),
    async (file) => JSON.parse((await readSmallFile(file, MAX_RECORD_BYTES)).toString('utf8')) as RestartRecord,
  );
  return records.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/**
 * A detail or warning of a restart record, in `locale`: a text of the catalogues written in that
 * language, a plain string as it is; anything else the file may hold, as JSON.
 */
export function recordText(locale: Locale, value: unknown): string {
  if (typeof value === 'string') return value;
  if (isLocalText(value) && typeof value.params === 'object' && value.params !== null) return textIn(locale, value);
  return JSON.stringify(value) ?? '';
}

/**
 * Writes the restart's Markdown report into `DATA_DIR/reports/`, in `locale` (and its record as
 * JSON beside it, in English, for `GET /api/system/restarts`) and returns the report's path.
 */
export function writeRestartReport(config: Readonly<Config>, outcome: RestartOutcome, started: Date, locale: Locale = DEFAULT_LOCALE): string {
  mkdirSync(config.paths.reportsDir, { recursive: true });
  const file = path.join(config.paths.reportsDir, `restart-${started.toISOString().replace(/[-:.]/g, '')}.md`);
  const failed = outcome.steps.find((s) => !s.ok);
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const say = (value: string | LocalText) => textIn(locale, value);
  const phase = (name: RestartStep['phase']) => t(locale, `restart.phase.${name}`);
  const lines = [
    t(locale, outcome.ok ? 'report.title.success' : 'report.title.failure'),
    '',
    t(locale, 'report.started', { at: started.toISOString() }),
    t(locale, 'report.dataDir', { dir: config.paths.dataDir }),
    t(locale, 'report.database', { engine: config.engine }),
    t(locale, 'report.backup', { dir: outcome.backupDir ?? text('report.noBackup') }),
    failed
      ? t(locale, outcome.stopped ? 'report.failedAt' : 'report.failedAtUntouched', { phase: phase(failed.phase), detail: say(failed.detail) })
      : t(locale, 'report.allPassed'),
    ...outcome.warnings.map((w) => t(locale, 'report.warning', { warning: say(w) })),
    '',
    t(locale, 'report.stepsHeader'),
    '| --- | --- | --- | --- |',
    ...outcome.steps.map((s) => `| ${phase(s.phase)} | ${t(locale, s.ok ? 'report.ok' : 'report.failed')} | ${s.ms} ms | ${cell(say(s.detail))} |`),
    '',
  ];
  if (outcome.counts.length > 0) {
    lines.push(t(locale, 'report.rowsHeading'), '', t(locale, 'report.rowsHeader'), '| --- | --- | --- | --- |');
    lines.push(...outcome.counts.map((c) => `| ${c.table} | ${c.backup ?? '—'} | ${c.atStop} | ${c.afterStart ?? '—'} |`), '');
  }
  if (outcome.latencyMs.health.length > 0) {
    lines.push(t(locale, 'report.latencyHeading'), '', `- /health: ${outcome.latencyMs.health.join(', ')} ms`);
    for (const [name, ms] of Object.entries(outcome.latencyMs.api)) lines.push(`- ${name}: ${ms} ms`);
    lines.push('');
  }
  writeFileSync(file, lines.join('\n'), { mode: 0o600 });
  const record: RestartRecord = {
    report: file,
    startedAt: started.toISOString(),
    ok: outcome.ok,
    failedAt: failed?.phase ?? null,
    stopped: outcome.stopped,
    backupDir: outcome.backupDir ?? null,
    warnings: outcome.warnings.map((w) => textIn(DEFAULT_LOCALE, w)),
    steps: outcome.steps,
    warningTexts: outcome.warnings,
  };
  writeFileSync(file.replace(/\.md$/, '.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return file;
}
