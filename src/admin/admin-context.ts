import type { JobState } from '../jobs/job-runner.js';
import type { ModuleContext } from '../modules/module.js';
import type { BackupManifest } from '../ops/backup/manifest.js';
import type { DatabaseCircuit } from '../resilience/circuit.js';
import type { JournalEntry } from '../resilience/journal/entry.js';
import type { Journal } from '../resilience/journal/journal.js';
import type { ReplayOutcome, ReplayRound } from '../resilience/replayer.js';

/**
 * What the operations console's modules (system, receipts) receive: a feature's context, plus
 * the kernel's own state that only they show or act on. Feature modules never get these.
 */
export interface AdminContext extends ModuleContext {
  /** The local journal of writes accepted while the database was down. */
  readonly journal: Journal;
  /** The circuit breaker on the main database: its state for the admin. */
  readonly circuit: DatabaseCircuit;
  /**
   * Whether the author of a journaled write may still make it (present, active, the same token
   * epoch, the command's permission): an AppError saying who, which permission and why not, or
   * `undefined`. Reads the database.
   */
  checkAuthor(entry: JournalEntry): Promise<Error | undefined>;
  /** Every periodic job's state (last run, last success, failures, next run). */
  jobStates(): Promise<JobState[]>;
  /** This process's last replay round of the journal, if any. */
  lastReplay(): ReplayRound | undefined;
  /**
   * Runs one replay round of the journal now (or waits for the one this process is running):
   * how it ended and how many writes it applied.
   */
  replayNow(): Promise<{ outcome: ReplayOutcome; applied: number }>;
  /**
   * Makes a verified backup into `BACKUP_DIR` now, as the scheduled one does, one at a time
   * across the processes sharing it: the backup made, or since when another is being made.
   */
  backUpNow(): Promise<{ made: { dir: string; manifest: BackupManifest; seconds: number } } | { running: { startedAt: string } }>;
}
