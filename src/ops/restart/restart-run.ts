import net from 'node:net';
import { sql } from 'kysely';
import type { Config } from '../../config/config.js';
import type { Database } from '../../db/database.js';
import type { BackupManifest } from '../backup/manifest.js';
import { dataTables } from '../backup/catalog.js';
import type { RestartOutcome } from './restart-report.js';
import type { SupervisorLaunch } from '../running-server.js';
import { DEFAULT_LOCALE } from '../../shared/i18n/locale.js';
import { textIn, type LocalText } from '../../shared/i18n/translate.js';

/** How long the journal may take to empty before the stop (it is on disk either way). */
export const RESTART_JOURNAL_WAIT_MS = 60_000;
/** How long the new server may take to answer `/health/ready`. */
export const RESTART_READY_WAIT_MS = 60_000;
/** Extra time past `SHUTDOWN_TIMEOUT_MS` the old supervisor may take to exit. */
export const RESTART_STOP_MARGIN_MS = 15_000;
/** `/health` requests timed after the start. */
export const RESTART_LATENCY_SAMPLES = 10;
/** The longest one HTTP request of the restart (readiness, checks) may take. */
const REQUEST_TIMEOUT_MS = 5_000;

/** A phase's failure: its text is the line the report and the terminal show, in the reader's language; its message is the English one. */
export class RestartStepError extends Error {
  readonly text: LocalText | string;

  constructor(what: LocalText | string) {
    super(textIn(DEFAULT_LOCALE, what));
    this.text = what;
  }
}

/**
 * One restart under way: what every phase reads (the settings, the database, where the server
 * answers) and what the earlier phases found for the later ones.
 */
export interface RestartRun {
  readonly config: Readonly<Config>;
  readonly db: Database;
  /** The script `robusto start` runs from. */
  readonly bin: string;
  /** Where the server answers: a loopback address when it listens on every interface. */
  readonly host: string;
  readonly base: string;
  readonly outcome: RestartOutcome;
  /** Releases the restart lock; set by `find`. */
  release?: () => void;
  /** The supervisor found, and how it was started; set by `find`. */
  pid?: number;
  launch?: SupervisorLaunch;
  /** The verified backup's manifest; set by `backup`. */
  backup?: BackupManifest;
  /** Every table's rows once the old server stopped; set by `stop`. */
  atStop?: Map<string, number>;
  /** When the new server was started (ISO 8601); set by `start`. */
  startedAt?: string;
}

/** What a phase did, in one line for the report. */
export interface PhaseResult {
  detail: LocalText;
}

/** One step of the restart; throws {@link RestartStepError} to stop the restart there. */
export type RestartPhase = (run: RestartRun) => Promise<PhaseResult>;

/** A value an earlier phase must have set. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`restart phase run out of order: ${what} is not known yet`);
  return value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it is true or `timeoutMs` has passed (each probe must bound its own time). */
export async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/** True when nothing accepts connections on the port any more; a silent port counts as taken. */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** An HTTP request of the restart: bounded in time, its body always read. */
export async function request(url: string, init: RequestInit = {}): Promise<{ status: number; body: string; ms: number } | undefined> {
  const at = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = await response.text();
    return { status: response.status, body, ms: Math.round((performance.now() - at) * 10) / 10 };
  } catch {
    return undefined;
  }
}

/** Every data table's row count. */
export async function rowCounts(db: Database): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of await dataTables(db)) {
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table.name)}`.execute(db.kysely);
    counts.set(table.name, Number(rows[0]?.n ?? 0));
  }
  return counts;
}
