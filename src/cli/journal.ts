import type { Command } from 'commander';
import { Journal } from '../resilience/journal/journal.js';
import { maskSecrets } from '../shared/secrets.js';
import { loadEnvironment } from './load-environment.js';
import { withApp } from './with-app.js';

const DEAD_LETTERS_SHOWN = 1000;

/**
 * Adds `robusto journal status` and `robusto journal dead-letters` (read-only looks at the local
 * journal) and `robusto journal replay` (applies it now). All are safe while the server runs:
 * replay takes the same lease as the server's replayer, so only one of them applies entries.
 */
export function registerJournalCommands(program: Command): void {
  const journal = program.command('journal').description('the local journal of writes accepted while the database was down');
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

/** Adds `robusto journal status [--json]`: what waits (per command and version), the dead letters, and whether a test write works now. */
function addStatusCommand(journal: Command): void {
  journal
    .command('status')
    .description('how many writes wait, since when, and how many could not be applied')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) =>
      withJournal((j) => {
        const stats = j.stats();
        // A real test write, not what the journal last saw: the disk may have filled up, or been freed, since.
        const problem = j.probe();
        const status = {
          file: j.file,
          pending: stats.pending,
          oldestPendingAt: stats.oldestPendingAt,
          deadLetters: stats.dead,
          writable: problem === undefined,
          ...(problem ? { notWritable: problem } : {}),
          pendingByCommand: j.pendingByCommand(),
        };
        const byCommand = status.pendingByCommand.map((p) => `\n    ${p.command} v${p.version}: ${p.pending}`).join('');
        process.stdout.write(
          options.json
            ? `${JSON.stringify(status, null, 2)}\n`
            : `journal ${status.file}\n  pending:      ${status.pending}${status.oldestPendingAt ? ` (oldest accepted ${status.oldestPendingAt})` : ''}${byCommand}\n  dead letters: ${status.deadLetters}${status.deadLetters ? ' (see: robusto journal dead-letters; retry or discard them in /api/system/dead-letters)' : ''}\n  writable:     ${problem ? `NO (${problem.reason}): ${problem.detail}; while the database is down or writes wait in the journal, writes get 503` : 'yes (a test write just worked)'}\n`,
        );
      }),
    );
}

/** Adds `robusto journal replay`: applies the pending writes now, under the same lease as the server's replayer; exit 1 unless all were applied. */
function addReplayCommand(journal: Command): void {
  journal
    .command('replay')
    .description('apply the pending writes to the database now (the server does this by itself once the database answers)')
    .action(async () =>
      withApp(async (app) => {
        const before = app.journal.stats().pending;
        const outcome = await app.replayer.drain();
        const stats = app.journal.stats();
        const lines: Record<typeof outcome, string> = {
          drained: `✓ journal replayed: ${before - stats.pending} applied, none pending`,
          blocked: app.journal.fault()
            ? `✗ replay stopped with ${stats.pending} pending: the journal cannot be written (${app.journal.failure() ?? ''})`
            : `✗ replay stopped with ${stats.pending} pending: the database is not answering, or a module of a pending write is not loaded (see the log)`,
          busy: '✗ another robusto process is replaying this journal right now; try again in a few seconds',
        };
        process.stdout.write(`${lines[outcome]}${stats.dead ? ` (${stats.dead} dead letter(s): robusto journal dead-letters)` : ''}
`);
        if (outcome !== 'drained') process.exitCode = 1;
      }),
    );
}

/** Adds `robusto journal dead-letters`: the writes that could not be applied and why, secret fields masked. */
function addDeadLettersCommand(journal: Command): void {
  journal
    .command('dead-letters')
    .description('the journaled writes that could not be applied, and why (all tenants)')
    .action(async () =>
      withJournal((j) => {
        const dead = j.deadLetters(undefined, DEAD_LETTERS_SHOWN);
        if (dead.length === 0) process.stdout.write('no dead letters\n');
        for (const e of dead) {
          process.stdout.write(
            `${e.receipt}  ${e.acceptedAt}  tenant ${e.tenantId}  ${e.command}  ${e.lastErrorCode ?? ''}  ${e.lastError ?? ''}\n    payload ${JSON.stringify(maskSecrets(e.payload, e.secretFields))}\n`,
          );
        }
      }),
    );
}
