import type { BackupProgress } from '../ops/backup/progress.js';
import type { Locale } from '../shared/i18n/locale.js';
import { t } from '../shared/i18n/translate.js';

/** Most redraws per second: a person reads a few a second, a terminal pays for each. */
export const PROGRESS_REDRAW_MS = 250;

/** Where progress is drawn: stderr, or a stand-in in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean | undefined;
  /** Width of the terminal, in characters, when known: a longer line would wrap and not be redrawn in place. */
  readonly columns?: number | undefined;
  write(text: string): unknown;
}

/** Which command draws: its words ("copied", "checked", "loaded"). */
export type ProgressAction = 'backup' | 'verify' | 'restore';

/** Seconds as a person reads a wait: `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function durationText(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * Draws the progress of `backup`, `verify` or `restore` on one line of a terminal, redrawn in
 * place at most every {@link PROGRESS_REDRAW_MS} (and whenever a table starts): the table last
 * heard of, its rows so far, the rows per second of all tables since the start and the time left
 * (the rows left at that rate; `?` while the total is not known). The line is cleared at the end, so the command's result stands alone.
 *
 * @returns undefined when `stream` is not a terminal (a pipe, a file, systemd's journal, a test):
 *   nothing is drawn there.
 */
export function terminalProgress(stream: ProgressStream, action: ProgressAction, locale: Locale, now = () => performance.now()): BackupProgress | undefined {
  return stream.isTTY ? new TerminalProgress(stream, action, locale, now) : undefined;
}

class TerminalProgress implements BackupProgress {
  #total: number | undefined;
  #started = 0;
  /** Rows moved so far, by table. */
  readonly #rows = new Map<string, number>();
  #drawnAt = Number.NEGATIVE_INFINITY;
  #drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly action: ProgressAction,
    private readonly locale: Locale,
    private readonly now: () => number,
  ) {}

  begin(totalRows: number | undefined): void {
    this.#total = totalRows;
    this.#started = this.now();
  }

  rows(table: string, rows: number): void {
    const starts = !this.#rows.has(table);
    this.#rows.set(table, rows);
    this.#draw(table, starts);
  }

  end(): void {
    if (this.#drawn) this.stream.write('\r\x1b[K');
    this.#drawn = false;
  }

  #draw(table: string, always: boolean): void {
    const at = this.now();
    if (!always && at - this.#drawnAt < PROGRESS_REDRAW_MS) return;
    this.#drawnAt = at;
    let done = 0;
    for (const rows of this.#rows.values()) done += rows;
    const seconds = (at - this.#started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const eta = this.#total !== undefined && rate > 0 ? durationText(Math.max(0, this.#total - done) / rate) : '?';
    let line = t(this.locale, `backup.progress.${this.action}`, { table, rows: this.#rows.get(table) ?? 0, rate, eta });
    const width = this.stream.columns;
    if (width !== undefined && width > 1 && line.length >= width) line = line.slice(0, width - 1);
    this.stream.write(`\r\x1b[K${line}`);
    this.#drawn = true;
  }
}
