import { Journal } from '../../../resilience/journal/journal.js';
import { RESTART_JOURNAL_WAIT_MS, until, type PhaseResult, type RestartRun } from '../restart-run.js';
import { text } from '../../../shared/i18n/translate.js';

/**
 * Waits (up to a minute) for the writes waiting in the journal to be applied by the running
 * server; what is still there is on disk and is applied after the start.
 */
export async function journal(run: RestartRun): Promise<PhaseResult> {
  const journal = new Journal(run.config.paths.dataDir, run.config.journal);
  try {
    const before = journal.stats().pending;
    const emptied = await until(() => journal.stats().pending === 0, RESTART_JOURNAL_WAIT_MS);
    const left = journal.stats().pending;
    if (!emptied) run.outcome.warnings.push(text('restart.journal.leftWarning', { left }));
    return {
      detail: emptied
        ? before === 0
          ? text('restart.journal.none')
          : text('restart.journal.applied', { count: before })
        : text('restart.journal.stillWait', { left, seconds: RESTART_JOURNAL_WAIT_MS / 1000 }),
    };
  } finally {
    journal.close();
  }
}
