// The backup benchmark: `robusto backup`, `verify` and `restore` against the engines' own tools,
// on the same data in the same run. PostgreSQL: a scratch database (`robusto_bench_backup`,
// created and dropped) with BENCH_ROWS students and BENCH_ROWS audit rows; `robusto backup`
// against `pg_dump -Fc`, `robusto restore` against `pg_restore` (each into a new database, which
// both fill with the schema, the rows and the indexes), `robusto verify`. SQLite: the same rows
// (restored from the PostgreSQL backup); `robusto backup` against `VACUUM INTO`, `robusto
// restore` against a plain load (one prepared INSERT per row in one transaction, into a migrated
// database). Each robusto command runs as a user runs it, a process of its own
// (`node dist/src/main.js …`); so do pg_dump and pg_restore. Rounds alternate who goes first;
// prints the medians, the sizes, the ratios and whether each meets its target.
//
//   npm run bench:backup   (BENCH_ROWS=1000000 BENCH_ROUNDS=3)
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { BENCH_DATABASE_URL } from './support/bench-database.js';
import { markdownTable } from './support/load.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SOURCE = 'robusto_bench_backup';
const MAIN = path.resolve(import.meta.dirname, '../src/main.js');
const run = promisify(execFile);
const work = mkdtempSync(path.join(os.tmpdir(), 'robusto-bench-backup-'));

/** The URL of database `name` on the benchmark's server. */
function urlOf(name: string): string {
  const url = new URL(BENCH_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer(statement: string, database?: string): Promise<void> {
  const client = new pg.Client({ connectionString: database ? urlOf(database) : BENCH_DATABASE_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Runs robusto's CLI in a process of its own, on the database `target` names (a PostgreSQL database, or a SQLite DATA_DIR). */
async function robusto(args: string[], target: { database: string } | { dataDir: string }): Promise<string> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LANG: 'C', LOG_LEVEL: 'warn' };
  const where = 'database' in target ? { DATABASE_URL: urlOf(target.database), DATA_DIR: path.join(work, 'pg-data') } : { DATA_DIR: target.dataDir };
  const { stdout } = await run(process.execPath, [MAIN, ...args], { env: { ...env, ...where }, cwd: work, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function seconds(task: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await task();
  return (performance.now() - started) / 1000;
}

/** The total size of a file or of a directory's files, in MiB. */
function mib(target: string): number {
  const stats = statSync(target);
  const bytes = stats.isDirectory() ? readdirSync(target).reduce((sum, name) => sum + statSync(path.join(target, name)).size, 0) : stats.size;
  return bytes / 1024 / 1024;
}

/** Creates the source database: robusto's schema, one tenant's BENCH_ROWS students and BENCH_ROWS audit rows, analyzed. */
async function createSource(): Promise<void> {
  await onServer(`drop database if exists ${SOURCE} with (force)`);
  await onServer(`create database ${SOURCE}`);
  await robusto(['migrate'], { database: SOURCE });
  await onServer(
    `insert into students (id, tenant_id, name, name_search, cpf, birth_date, phone, email, guardian_name, plan, status, created_at, updated_at)
     select gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'Aluno Benchmark ' || i, 'aluno benchmark ' || i, lpad(i::text, 11, '0'),
       date '1990-01-01' + (i % 7000), '(11) 9' || lpad(i::text, 8, '0'), 'aluno' || i || '@escola.test', case when i % 3 = 0 then 'Responsável ' || i end,
       'Manhã', case when i % 10 = 0 then 'inactive' else 'active' end, now() - i * interval '1 second', now() - i * interval '1 second'
     from generate_series(1, ${ROWS}) i;
     insert into audit_log (id, tenant_id, user_id, action, entity, entity_id, request_id, created_at)
     select gen_random_uuid(), '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 'students.register', 'students',
       gen_random_uuid()::text, 'req-' || i, now() - i * interval '1 second'
     from generate_series(1, ${ROWS}) i;
     analyze`,
    SOURCE,
  );
}

/** The one backup directory under `root`. */
function backupIn(root: string): string {
  const [dir] = readdirSync(root).filter((name) => name.startsWith('robusto-backup-'));
  if (!dir) throw new Error(`no backup in ${root}`);
  return path.join(root, dir);
}

/** A new, empty PostgreSQL database for one restore; dropped by the caller. */
async function freshDatabase(name: string): Promise<string> {
  await onServer(`drop database if exists ${name} with (force)`);
  await onServer(`create database ${name}`);
  return name;
}

interface Timings {
  robusto: number[];
  baseline: number[];
}

type Who = keyof Timings;

/** Runs `ours` and `theirs` BENCH_ROUNDS times, alternating who goes first; `prepare` runs before each (untimed). */
async function alternate(
  label: string,
  ours: () => Promise<unknown>,
  theirs: () => Promise<unknown>,
  prepare: (who: Who) => Promise<void> = async () => undefined,
): Promise<Timings> {
  const timings: Timings = { robusto: [], baseline: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['robusto', 'baseline'] as const) : (['baseline', 'robusto'] as const);
    for (const who of order) {
      await prepare(who);
      timings[who].push(await seconds(who === 'robusto' ? ours : theirs));
    }
    process.stderr.write(`${label} round ${round + 1}: robusto ${timings.robusto.at(-1)?.toFixed(2)} s, baseline ${timings.baseline.at(-1)?.toFixed(2)} s\n`);
  }
  return timings;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

interface Row {
  what: string;
  baseline: string;
  robusto: number;
  base: number;
  sizes: string;
  target: number;
}

async function benchPostgres(rows: Row[]): Promise<string> {
  const dump = path.join(work, 'pg.dump');
  const root = path.join(work, 'pg-backups');
  const backup = await alternate(
    'postgres backup',
    () => robusto(['backup', '--dir', root], { database: SOURCE }),
    () => run('pg_dump', ['-Fc', '-f', dump, urlOf(SOURCE)]),
    // Each removes only its own copy: the last of each stays for verify and restore.
    async (who) => rmSync(who === 'robusto' ? root : dump, { recursive: true, force: true }),
  );
  const dir = backupIn(root);
  const sizes = `${mib(dir).toFixed(1)} / ${mib(dump).toFixed(1)} MiB`;
  rows.push({ what: 'postgres backup', baseline: 'pg_dump -Fc', robusto: median(backup.robusto), base: median(backup.baseline), sizes, target: 1 });
  const verify: number[] = [];
  for (let round = 0; round < ROUNDS; round++) verify.push(await seconds(() => robusto(['verify', dir], { database: SOURCE })));
  rows.push({ what: 'postgres verify', baseline: 'robusto backup', robusto: median(verify), base: median(backup.robusto), sizes: '', target: 0.5 });
  const restore = await alternate(
    'postgres restore',
    () => robusto(['restore', dir], { database: 'robusto_bench_restore' }),
    () => run('pg_restore', ['-d', urlOf('robusto_bench_restore'), dump]),
    async () => void (await freshDatabase('robusto_bench_restore')),
  );
  await onServer('drop database if exists robusto_bench_restore with (force)');
  rows.push({ what: 'postgres restore', baseline: 'pg_restore', robusto: median(restore.robusto), base: median(restore.baseline), sizes: '', target: 1 });
  return dir;
}

/** One prepared INSERT per row, in one transaction: how a program loads rows into SQLite by hand. */
function plainLoad(from: string, into: string): void {
  const source = new SqliteDatabase(from, { readonly: true });
  const target = new SqliteDatabase(into);
  target.pragma('journal_mode = WAL');
  target.pragma('synchronous = FULL');
  try {
    target.transaction(() => {
      for (const table of ['students', 'audit_log']) {
        const columns = (source.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name);
        const insert = target.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`);
        for (const row of source.prepare(`select * from ${table}`).raw().iterate()) insert.run(...(row as unknown[]));
      }
    })();
  } finally {
    source.close();
    target.close();
  }
}

async function benchSqlite(rows: Row[], pgBackup: string): Promise<void> {
  const sourceDir = path.join(work, 'sqlite-source');
  await robusto(['restore', pgBackup], { dataDir: sourceDir });
  const sourceFile = path.join(sourceDir, 'robusto.db');
  const root = path.join(work, 'sqlite-backups');
  const vacuumed = path.join(work, 'vacuumed.db');
  const backup = await alternate(
    'sqlite backup',
    () => robusto(['backup', '--dir', root], { dataDir: sourceDir }),
    async () => {
      const db = new SqliteDatabase(sourceFile, { readonly: true });
      db.exec(`vacuum into '${vacuumed}'`);
      db.close();
    },
    async (who) => rmSync(who === 'robusto' ? root : vacuumed, { recursive: true, force: true }),
  );
  const dir = backupIn(root);
  rows.push({
    what: 'sqlite backup',
    baseline: 'VACUUM INTO',
    robusto: median(backup.robusto),
    base: median(backup.baseline),
    sizes: `${mib(dir).toFixed(1)} / ${mib(vacuumed).toFixed(1)} MiB`,
    target: 2,
  });
  const target = path.join(work, 'sqlite-target');
  const restore = await alternate(
    'sqlite restore',
    () => robusto(['restore', dir], { dataDir: target }),
    async () => plainLoad(sourceFile, path.join(target, 'robusto.db')),
    async (who) => {
      rmSync(target, { recursive: true, force: true });
      // The plain load gets robusto's schema beforehand, untimed; the restore migrates an empty DATA_DIR itself, timed.
      if (who === 'baseline') await robusto(['migrate'], { dataDir: target });
    },
  );
  rows.push({ what: 'sqlite restore', baseline: 'plain load', robusto: median(restore.robusto), base: median(restore.baseline), sizes: '', target: 2 });
}

const rows: Row[] = [];
try {
  process.stderr.write(`generating ${ROWS} students and ${ROWS} audit rows in ${SOURCE}\n`);
  await createSource();
  const pgBackup = await benchPostgres(rows);
  await benchSqlite(rows, pgBackup);
} finally {
  await onServer(`drop database if exists ${SOURCE} with (force)`).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(
  `\nBackup benchmark: ${ROWS} students and ${ROWS} audit rows, medians of ${ROUNDS} alternating rounds, node ${process.version}, ${os.cpus().length} cores\n\n` +
    markdownTable(
      ['what', 'robusto s', 'baseline', 'baseline s', 'ratio', 'target', 'met', 'size robusto / baseline'],
      rows.map((r) => {
        const ratio = r.robusto / r.base;
        return [
          r.what,
          r.robusto.toFixed(2),
          r.baseline,
          r.base.toFixed(2),
          ratio.toFixed(2),
          `≤ ${r.target}×`,
          ratio <= r.target ? '**met**' : 'not met',
          r.sizes,
        ];
      }),
    ) +
    '\n',
);
