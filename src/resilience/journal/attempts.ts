import type SqliteDatabase from 'better-sqlite3';
import type { AttemptOutcome } from './entry.js';
import type { Writing } from './journal-faults.js';

/** Counts an attempt of each entry `seqs` names before it runs, in one commit through `writing`, so a crash mid-attempt is remembered. */
export function recordAttemptsStarted(db: SqliteDatabase.Database, writing: Writing, seqs: number[]): void {
  const update = db.prepare('update entries set attempts_started = attempts_started + 1 where seq = ?');
  writing(() =>
    db.transaction(() => {
      for (const seq of seqs) update.run(seq);
    })(),
  );
}

/** Records how each attempt ended (still pending, or a final status), in one commit through `writing`. */
export function recordAttemptsFinished(db: SqliteDatabase.Database, writing: Writing, outcomes: Array<AttemptOutcome & { seq: number }>): void {
  const update = db.prepare(
    `update entries set attempts_finished = attempts_finished + 1, status = ?, status_code = coalesce(?, status_code),
       response = coalesce(?, response), last_error = coalesce(?, last_error), last_error_code = coalesce(?, last_error_code),
       finished_at = case when ? = 'pending' then finished_at else ? end where seq = ?`,
  );
  const now = new Date().toISOString();
  writing(() =>
    db.transaction(() => {
      for (const o of outcomes) {
        update.run(
          o.status,
          o.statusCode ?? null,
          o.response === undefined ? null : JSON.stringify(o.response),
          o.error ?? null,
          o.errorCode ?? null,
          o.status,
          now,
          o.seq,
        );
      }
    })(),
  );
}
