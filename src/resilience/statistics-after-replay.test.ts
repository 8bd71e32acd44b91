import { afterEach, describe, expect, it, vi } from 'vitest';
import { openNotesDatabase, type NotesDatabase } from '../../test/support/notes-database.js';
import { recordingLog } from '../../test/support/recording-log.js';
import type { ReplayRound } from './replayer.js';
import { ANALYZE_AFTER_REPLAYED_WRITES, ANALYZE_DELAY_MS, refreshStatisticsAfterReplay } from './statistics-after-replay.js';

const opened: NotesDatabase[] = [];
afterEach(async () => {
  for (const notes of opened.splice(0)) await notes.close();
});

/** A refresh on a SQLite database, fed rounds by hand; `round` reports one. */
async function setUp(options: { minWrites?: number; delayMs?: number } = { minWrites: 10, delayMs: 20 }) {
  const notes = await openNotesDatabase('sqlite');
  opened.push(notes);
  const { log, lines } = recordingLog();
  const listeners: Array<(round: ReplayRound) => void> = [];
  refreshStatisticsAfterReplay({ onRound: (listener) => listeners.push(listener) }, notes.db, log, options);
  const round = (applied: number, outcome: ReplayRound['outcome'] = 'drained') => {
    for (const listener of listeners) listener({ at: new Date().toISOString(), applied, outcome });
  };
  const refreshed = () => lines.filter((l) => l.msg === 'statistics refreshed after a large replay');
  return { notes, lines, round, refreshed };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('statistics after a large replay', () => {
  it('refreshes the statistics once a drain brings the writes replayed to the threshold, after the delay', async () => {
    const { round, refreshed } = await setUp();
    round(4);
    round(5);
    await pause(60);
    expect(refreshed()).toEqual([]);
    round(1);
    await pause(5);
    expect(refreshed()).toEqual([]);
    await pause(60);
    expect(refreshed()).toEqual([{ level: 'info', msg: 'statistics refreshed after a large replay', fields: { writes: 10, tables: [] } }]);
    // Counted from nothing again.
    round(9);
    await pause(60);
    expect(refreshed()).toHaveLength(1);
  });

  it('waits for the journal to be drained, counting the rounds that were not', async () => {
    const { round, refreshed } = await setUp();
    round(20, 'blocked');
    round(5, 'busy');
    await pause(60);
    expect(refreshed()).toEqual([]);
    round(0);
    await pause(60);
    expect(refreshed().map((l) => l.fields.writes)).toEqual([25]);
  });

  it('refreshes once for the drains that come while one is waiting', async () => {
    const { round, refreshed } = await setUp();
    round(10);
    round(10);
    round(10);
    await pause(80);
    expect(refreshed().map((l) => l.fields.writes)).toEqual([10]);
    round(0);
    await pause(60);
    expect(refreshed().map((l) => l.fields.writes)).toEqual([10, 20]);
  });

  it('says so when it cannot, and counts those writes again at the next drain', async () => {
    const { round, refreshed, lines, notes } = await setUp();
    // The next statement on the database fails.
    const failing = { executeQuery: () => Promise.reject(new Error('database is locked')) } as unknown as ReturnType<typeof notes.db.kysely.getExecutor>;
    const analyze = vi.spyOn(notes.db.kysely, 'getExecutor').mockReturnValueOnce(failing);
    round(12);
    await pause(60);
    expect(lines).toEqual([
      {
        level: 'warn',
        msg: 'cannot refresh statistics after a large replay; trying again after the next one',
        fields: { err: expect.any(Error) },
      },
    ]);
    analyze.mockRestore();
    round(0);
    await pause(60);
    expect(refreshed().map((l) => l.fields.writes)).toEqual([12]);
  });

  it('waits for a thousand writes and two seconds unless told otherwise', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const { round, refreshed } = await setUp({});
      round(ANALYZE_AFTER_REPLAYED_WRITES - 1);
      await vi.advanceTimersByTimeAsync(ANALYZE_DELAY_MS + 10);
      expect(refreshed()).toEqual([]);
      round(1);
      await vi.advanceTimersByTimeAsync(ANALYZE_DELAY_MS - 10);
      expect(refreshed()).toEqual([]);
      await vi.advanceTimersByTimeAsync(20);
      vi.useRealTimers();
      await vi.waitFor(() => expect(refreshed().map((l) => l.fields.writes)).toEqual([ANALYZE_AFTER_REPLAYED_WRITES]));
    } finally {
      vi.useRealTimers();
    }
  });
});
