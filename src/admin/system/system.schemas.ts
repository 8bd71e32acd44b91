import { Type, type Static } from '@sinclair/typebox';
import { Uuid } from '../../shared/schemas.js';

/** What `GET /api/system/info` answers: which robusto this is and how long it has run. */
export const SystemInfoSchema = Type.Object({
  name: Type.Literal('robusto'),
  version: Type.String({ examples: ['0.1.0'] }),
  engine: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
  node: Type.String({ examples: ['v20.20.2'] }),
  pid: Type.Integer(),
  startedAt: Type.String({ format: 'date-time' }),
  uptimeSeconds: Type.Number(),
  installationId: Type.String({ description: 'Identifies this installation; made by the first migration.' }),
  installedAt: Type.String({ format: 'date-time' }),
});

/** The body of `GET /api/system/info`. */
export type SystemInfo = Static<typeof SystemInfoSchema>;

/**
 * `GET /api/system/journal`: the local journal of writes accepted while the database was down.
 * The installation role sees the whole journal; a tenant's admin sees their tenant's share, and
 * `null` (or no `applied`) where a figure is the installation's.
 */
export const JournalStatusSchema = Type.Object({
  scope: Type.Union([Type.Literal('installation'), Type.Literal('tenant')], {
    description: "installation: every tenant's writes (the installation role); tenant: the caller's tenant's only",
  }),
  depth: Type.Integer({ description: 'writes waiting to be applied (of the scope)' }),
  oldestPendingAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  oldestPendingAgeSeconds: Type.Union([Type.Number(), Type.Null()]),
  deadLetters: Type.Integer({ description: 'writes that could not be applied (of the scope)' }),
  writable: Type.Boolean(),
  circuit: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')], {
    description: 'the circuit breaker on the database: open while it fails (writes journaled, reads 503)',
  }),
  circuitOpenedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  groupCommits: Type.Union([Type.Integer(), Type.Null()], { description: 'journal transactions since start; null outside the installation scope' }),
  appendedSinceStart: Type.Union([Type.Integer(), Type.Null()], { description: 'null outside the installation scope' }),
  lastReplay: Type.Union([
    Type.Object({
      at: Type.String({ format: 'date-time' }),
      applied: Type.Optional(Type.Integer({ description: 'writes of every tenant; installation scope only' })),
      outcome: Type.String(),
    }),
    Type.Null(),
  ]),
});

/** The body of `GET /api/system/journal`. */
export type JournalStatus = Static<typeof JournalStatusSchema>;

/** One periodic job as the runner knows it (cluster jobs: from the database, shared by every worker). */
export const JobStateSchema = Type.Object({
  name: Type.String({ description: '<module>.<job>, e.g. stock.expire-lots' }),
  scope: Type.Union([Type.Literal('cluster'), Type.Literal('process')], {
    description: 'cluster: one run per slot across workers and instances; process: each process its own',
  }),
  schedule: Type.String({ description: 'cron expression (server local time) or interval' }),
  running: Type.Boolean(),
  lastRunAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastSuccessAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  consecutiveFailures: Type.Integer({ description: '5 fires the job_failing alert' }),
  nextRunAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when this process tries it next' }),
  runs: Type.Integer(),
  failures: Type.Integer(),
});

/** One dead letter: a journaled write that could not be applied, and why. */
export const DeadLetterSchema = Type.Object({
  receipt: Uuid(),
  command: Type.String(),
  acceptedAt: Type.String({ format: 'date-time' }),
  requestId: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastErrorCode: Type.Union([Type.String(), Type.Null()]),
  problem: Type.Unknown(),
  payload: Type.Unknown(),
});

/** `GET /api/system/dead-letters` query. */
export const DeadLettersQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'the last seq of the previous page' })),
  },
  { additionalProperties: false },
);

/** `POST /api/system/dead-letters/:id/discard` body. */
export const DiscardBody = Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false });

/** One backup in `BACKUP_DIR`, as `GET /api/system/backups` lists it. */
export const BackupInfoSchema = Type.Object({
  name: Type.String({ description: 'the directory name under BACKUP_DIR, e.g. robusto-backup-20261201T023000000Z' }),
  createdAt: Type.String({ format: 'date-time' }),
  engine: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
  robustoVersion: Type.String(),
  tables: Type.Integer(),
  bytes: Type.Integer({ description: 'the table files together, as stored (compressed)' }),
  encrypted: Type.Boolean(),
});

/** An entry of `BACKUP_DIR` named like a backup that cannot be read as one, as `GET /api/system/backups` reports it. */
export const UnreadableBackupSchema = Type.Object({
  name: Type.String({ description: 'the entry name under BACKUP_DIR' }),
  problem: Type.String({ description: 'what is wrong with it, e.g. a manifest.json that is not a regular file' }),
});

/** One `robusto restart`, as `GET /api/system/restarts` lists it. */
export const RestartInfoSchema = Type.Object({
  startedAt: Type.String({ format: 'date-time' }),
  ok: Type.Boolean(),
  failedAt: Type.Union([Type.String(), Type.Null()], { description: 'the phase that failed: find, backup, journal, stop, start or check' }),
  stopped: Type.Boolean({ description: 'whether the old server had been stopped; a failure before that left it untouched' }),
  backup: Type.Union([Type.String(), Type.Null()], { description: 'the backup taken before the stop (its directory name)' }),
  warnings: Type.Array(Type.String({ description: "in the request's language (Accept-Language)" })),
  report: Type.String({ description: 'the Markdown report under DATA_DIR/reports' }),
  steps: Type.Array(
    Type.Object({
      phase: Type.String({ description: 'find, backup, journal, stop, start or check' }),
      ok: Type.Boolean(),
      ms: Type.Number({ description: 'how long it took' }),
      detail: Type.String({ description: "what happened, or for a failure what to do, in the request's language (Accept-Language)" }),
    }),
    { description: "the report's phases, in the order run (empty for a record that lacks them)" },
  ),
});

/** One recent error or fatal log line of the answering process, as `GET /api/system/errors` lists it. */
export const RecentErrorSchema = Type.Object({
  time: Type.String({ format: 'date-time' }),
  level: Type.Union([Type.Literal('error'), Type.Literal('fatal')]),
  msg: Type.String(),
  error: Type.Union([Type.String(), Type.Null()], { description: "the logged error's message" }),
  requestId: Type.Union([Type.String(), Type.Null()]),
  module: Type.Union([Type.String(), Type.Null()]),
});

/** One write waiting in the journal, as `GET /api/system/journal/pending` lists it (its secrets masked). */
export const PendingWriteSchema = Type.Object({
  receipt: Uuid(),
  tenantId: Type.String(),
  command: Type.String(),
  acceptedAt: Type.String({ format: 'date-time' }),
  ageSeconds: Type.Number({ description: 'seconds since it was accepted' }),
  requestId: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer({ description: 'replay attempts started so far' }),
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'why the last attempt did not apply it (a transient error), if one was made' }),
  payload: Type.Unknown({ description: 'what was sent, its secret fields replaced by [REDACTED]' }),
});

/** `GET /api/system/journal/pending` query. */
export const PendingWritesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'the last seq of the previous page' })),
  },
  { additionalProperties: false },
);

/** What `POST /api/system/journal/replay` answers: how the round ended and what is left. */
export const ReplayNowSchema = Type.Object({
  outcome: Type.Union([Type.Literal('drained'), Type.Literal('blocked'), Type.Literal('busy')], {
    description:
      'drained: nothing is left to apply; blocked: stopped on a write that cannot be applied now (the database does not answer, or its module is not loaded); busy: another robusto process is replaying this journal',
  }),
  applied: Type.Integer({ description: 'writes the round applied (every tenant)' }),
  pending: Type.Integer({ description: 'writes still waiting' }),
  deadLetters: Type.Integer({ description: 'writes that could not be applied, for an admin to retry or discard' }),
});

/** What `POST /api/system/backups` answers: the verified backup it made. */
export const BackupMadeSchema = Type.Object({
  name: Type.String({ description: 'the directory name under BACKUP_DIR' }),
  createdAt: Type.String({ format: 'date-time' }),
  tables: Type.Integer(),
  rows: Type.Integer(),
  bytes: Type.Integer({ description: 'the table files together, as stored (compressed)' }),
  encrypted: Type.Boolean(),
  verified: Type.Literal(true, { description: 'it was read back and checked against its manifest' }),
  seconds: Type.Number({ description: 'how long making and checking it took' }),
});

/** The body of `POST /api/system/journal/replay`. */
export type ReplayNow = Static<typeof ReplayNowSchema>;

/** The body of `POST /api/system/backups`. */
export type BackupMade = Static<typeof BackupMadeSchema>;
