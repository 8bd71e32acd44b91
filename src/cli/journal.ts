import type { Command } from 'commander';
import { storedProblemIn } from '../http/problem.js';
import { Journal } from '../resilience/journal/journal.js';
import { maskSecrets } from '../shared/secrets.js';
import { loadEnvironment } from './load-environment.js';
import { withApp } from './with-app.js';
import { t } from '../shared/i18n/translate.js';
import type { Locale } from '../shared/i18n/locale.js';
import { commandLocale, helpText } from './command-locale.js';

const DEAD_LETTERS_SHOWN = 1000;

/**
 * Adds `robusto journal status` and `robusto journal dead-letters` (read-only looks at the local
 * journal) and `robusto journal replay` (applies it now). All are safe while the server runs:
 * replay takes the same lease as the server's replayer, so only one of them applies entries.
 */
export function registerJournalCommands(program: Command): void {
  const journal = program.command('journal').description(helpText('help.journal'));
  addStatusCommand(journal);
  addReplayCommand(journal);
  addDeadLettersCommand(journal);
}

/** Runs `work` on the configured journal, then closes it. */
async function withJournal(work: (j: Journal) => void): Promise<void> {
  const { config } = await loadEnvironment({ quiet: true });
  const j = new Journal(config.paths.dataDir, config.journal);
  try {
    work(j);
  } finally {
    j.close();
  }
}

/** What `robusto journal status` reports (its `--json` form). */
interface JournalStatus {
  file: string;
  pending: number;
  oldestPendingAt: string | null;
  deadLetters: number;
  writable: boolean;
  notWritable?: { reason: string; detail: string };
  pendingByCommand: Array<{ command: string; version: number; pending: number }>;
}

/** The status as a person reads it, in `locale`, one line per figure. */
function statusText(locale: Locale, status: JournalStatus): string {
  const oldest = status.oldestPendingAt ? t(locale, 'journal.status.oldest', { at: new Date(status.oldestPendingAt) }) : '';
  const problem = status.notWritable;
  return [
    t(locale, 'journal.status.file', { file: status.file }),
    `${t(locale, 'journal.status.pending', { count: status.pending })}${oldest}`,
    ...status.pendingByCommand.map((p) => `    ${p.command} v${p.version}: ${p.pending}`),
    `${t(locale, 'journal.status.dead', { count: status.deadLetters })}${status.deadLetters ? t(locale, 'journal.status.deadHint') : ''}`,
    problem ? t(locale, 'journal.status.notWritable', { reason: problem.reason, detail: problem.detail }) : t(locale, 'journal.status.writable'),
  ].join('\n');
}

/** Adds `robusto journal status [--json]`: what waits (per command and version), the dead letters, and whether a test write works now. */
function addStatusCommand(journal: Command): void {
  journal
    .command('status')
    .description(helpText('help.journal.status'))
    .option('--json', helpText('help.json'))
    .action(async (options: { json?: boolean }) =>
      withJournal((j) => {
        const stats = j.stats();
        // A real test write, not what the journal last saw: the disk may have filled up, or been freed, since.
        const problem = j.probe();
        const status: JournalStatus = {
          file: j.file,
          pending: stats.pending,
          oldestPendingAt: stats.oldestPendingAt,
          deadLetters: stats.dead,
          writable: problem === undefined,
          ...(problem ? { notWritable: problem } : {}),
          pendingByCommand: j.pendingByCommand(),
        };
        process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : `${statusText(commandLocale(), status)}\n`);
      }),
    );
}

/** Adds `robusto journal replay`: applies the pending writes now, under the same lease as the server's replayer; exit 1 unless all were applied. */
function addReplayCommand(journal: Command): void {
  journal
    .command('replay')
    .description(helpText('help.journal.replay'))
    .action(async () =>
      withApp(async (app) => {
        const locale = commandLocale();
        const before = app.journal.stats().pending;
        const outcome = await app.replayer.drain();
        const stats = app.journal.stats();
        const pending = stats.pending;
        const lines: Record<typeof outcome, string> = {
          drained: t(locale, 'journal.replay.drained', { applied: before - pending }),
          blocked: app.journal.fault()
            ? t(locale, 'journal.replay.journalFault', { pending, failure: app.journal.failure() ?? '' })
            : t(locale, 'journal.replay.blocked', { pending }),
          busy: t(locale, 'journal.replay.busy'),
        };
        process.stdout.write(`${lines[outcome]}${stats.dead ? t(locale, 'journal.replay.dead', { count: stats.dead }) : ''}\n`);
        if (outcome !== 'drained') process.exitCode = 1;
      }),
    );
}

/** Adds `robusto journal dead-letters`: the writes that could not be applied and why, secret fields masked. */
function addDeadLettersCommand(journal: Command): void {
  journal
    .command('dead-letters')
    .description(helpText('help.journal.deadLetters'))
    .action(async () =>
      withJournal((j) => {
        const locale = commandLocale();
        const dead = j.deadLetters(undefined, DEAD_LETTERS_SHOWN);
        if (dead.length === 0) process.stdout.write(`${t(locale, 'journal.dead.none')}\n`);
        for (const e of dead) {
          const tenant = t(locale, 'journal.dead.tenant', { tenant: e.tenantId });
          const payload = t(locale, 'journal.dead.payload', { payload: JSON.stringify(maskSecrets(e.payload, e.secretFields)) });
          const detail = (storedProblemIn(locale, e.response) as { detail?: unknown } | null)?.detail;
          const reason = typeof detail === 'string' ? detail : (e.lastError ?? '');
          process.stdout.write(`${e.receipt}  ${e.acceptedAt}  ${tenant}  ${e.command}  ${e.lastErrorCode ?? ''}  ${reason}\n${payload}\n`);
        }
      }),
    );
}
