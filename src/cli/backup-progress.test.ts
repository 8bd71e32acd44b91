import { describe, expect, it } from 'vitest';
import { durationText, PROGRESS_REDRAW_MS, terminalProgress, type ProgressStream } from './backup-progress.js';

/** A stand-in terminal (or pipe) that keeps what is written, and a clock the test moves. */
function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, columns, written, write: (text: string) => written.push(text) };
}

describe('backup progress on a terminal', () => {
  it('draws the table, its rows, the rate and the time left in place, at most every redraw interval, and clears the line at the end', () => {
    const stream = fakeStream(true);
    let clock = 0;
    const progress = terminalProgress(stream, 'backup', 'en', () => clock);
    expect(progress).toBeDefined();
    progress?.begin(100_000);
    progress?.rows('students', 0);
    expect(stream.written.at(-1)).toBe('\r\x1b[Kstudents: 0 rows copied, 0 rows/s, ? left');
    clock = 1_000;
    progress?.rows('students', 20_000);
    expect(stream.written.at(-1)).toBe('\r\x1b[Kstudents: 20,000 rows copied, 20,000 rows/s, 4 s left');
    const drawn = stream.written.length;
    clock += PROGRESS_REDRAW_MS - 1;
    progress?.rows('students', 21_000);
    expect(stream.written).toHaveLength(drawn);
    clock = 2_000;
    progress?.rows('students', 40_000);
    progress?.rows('audit_log', 0);
    clock = 4_000;
    progress?.rows('audit_log', 40_000);
    // 80,000 rows in 4 s over both tables: 20,000 rows/s, 20,000 rows left.
    expect(stream.written.at(-1)).toBe('\r\x1b[Kaudit_log: 40,000 rows copied, 20,000 rows/s, 1 s left');
    progress?.end();
    expect(stream.written.at(-1)).toBe('\r\x1b[K');
  });

  it('writes in the command locale, and cuts a line to the width of the terminal', () => {
    const stream = fakeStream(true, 30);
    let clock = 0;
    const progress = terminalProgress(stream, 'restore', 'pt-BR', () => clock);
    progress?.begin(undefined);
    progress?.rows('customers', 0);
    clock = 2_000;
    progress?.rows('customers', 1_500_000);
    expect(stream.written.at(-1)).toBe(`\r\x1b[K${'customers: 1.500.000 linhas carregadas, 750.000 linhas/s, faltam ?'.slice(0, 29)}`);
    const wide = fakeStream(true);
    const verify = terminalProgress(wide, 'verify', 'pt-BR', () => 0);
    verify?.begin(1);
    verify?.rows('users', 0);
    expect(wide.written.at(-1)).toBe('\r\x1b[Kusers: 0 linhas conferidas, 0 linhas/s, faltam ?');
  });

  it('stays quiet when not on a terminal', () => {
    expect(terminalProgress(fakeStream(false), 'verify', 'en')).toBeUndefined();
    expect(terminalProgress({ write: () => true }, 'verify', 'en')).toBeUndefined();
  });

  it('writes waits in seconds, minutes or hours', () => {
    expect([durationText(0.4), durationText(42), durationText(185), durationText(3_720), durationText(-3)]).toEqual([
      '0 s',
      '42 s',
      '3 min 05 s',
      '1 h 02 min',
      '0 s',
    ]);
  });
});
