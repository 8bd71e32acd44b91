import SqliteDatabase from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { newId } from '../../src/shared/ids.js';
import { searchable } from '../../src/shared/text.js';

const COLUMNS = '"id", "name", "cpf", "birth_date", "phone", "email", "guardian_name", "plan", "status", "created_at", "name_search"';
const LIST_SQL = `select ${COLUMNS} from "students" where "tenant_id" = $1 order by "created_at" desc, "id" desc limit $2`;
const INSERT_STUDENT_SQL =
  'insert into "students" ("id", "tenant_id", "name", "name_search", "cpf", "birth_date", "phone", "email", "guardian_name", "plan", "status", "created_at", "updated_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)';
const INSERT_AUDIT_SQL =
  'insert into "audit_log" ("id", "tenant_id", "user_id", "action", "entity", "entity_id", "request_id", "created_at") values ($1, $2, $3, $4, $5, $6, $7, $8)';

interface StudentInput {
  name: string;
  birthDate: string;
  plan: string;
  email?: string;
}

/** Where a baseline server's database is: robusto's PostgreSQL database, or its SQLite file. */
export type BareTarget = { engine: 'postgres'; url: string } | { engine: 'sqlite'; file: string };

/**
 * Which baseline: `same` runs the statements robusto runs (BEGIN, the student, its audit row,
 * COMMIT; `SELECT … LIMIT 21`); `plain` is what a developer would write by hand, one `INSERT …
 * RETURNING` and one `SELECT … LIMIT 20`, with no audit row and no explicit transaction.
 */
export type BareStyle = 'same' | 'plain';

/** Whose rows a baseline writes and lists (robusto's bench tenant and user). */
export interface BareIdentity {
  tenantId: string;
  userId: string;
}

/** The pool size of every server on PostgreSQL. */
export const BENCH_POOL_MAX = 20;

function studentRow(tenantId: string, body: StudentInput): unknown[] {
  const now = new Date().toISOString();
  return [newId(), tenantId, body.name, searchable(body.name), null, body.birthDate, null, body.email ?? null, null, body.plan, 'active', now, now];
}

function auditRow(identity: BareIdentity, studentId: unknown, requestId: string): unknown[] {
  return [newId(), identity.tenantId, identity.userId, 'students.register', 'student', studentId, requestId, new Date().toISOString()];
}

/** A baseline server and how to close it. */
export interface BareServer {
  app: FastifyInstance;
  close(): Promise<void>;
}

function postgresServer(url: string, style: BareStyle, identity: BareIdentity): BareServer {
  const app = Fastify();
  const pool = new pg.Pool({ connectionString: url, max: BENCH_POOL_MAX });
  // An idle connection dropped by the server must not crash the benchmark (an unhandled 'error').
  pool.on('error', () => undefined);
  const limit = style === 'same' ? 21 : 20;
  app.get('/api/students', async () => (await pool.query<Record<string, unknown>>(LIST_SQL, [identity.tenantId, limit])).rows.slice(0, 20));
  if (style === 'plain') {
    const insertReturning = `${INSERT_STUDENT_SQL} returning ${COLUMNS}`;
    app.post('/api/students', async (request, reply) => {
      const { rows } = await pool.query(insertReturning, studentRow(identity.tenantId, request.body as StudentInput));
      return reply.code(201).send(rows[0]);
    });
  } else {
    app.post('/api/students', async (request, reply) => {
      const row = studentRow(identity.tenantId, request.body as StudentInput);
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query(INSERT_STUDENT_SQL, row);
        await client.query(INSERT_AUDIT_SQL, auditRow(identity, row[0], request.id));
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
      return reply.code(201).send({ id: row[0] });
    });
  }
  return {
    app,
    close: async () => {
      await app.close();
      await pool.end();
    },
  };
}

function sqliteServer(file: string, style: BareStyle, identity: BareIdentity): BareServer {
  const app = Fastify();
  const db = new SqliteDatabase(file, { timeout: 200 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const toSqlite = (text: string) => text.replace(/\$\d+/g, '?');
  const list = db.prepare(toSqlite(LIST_SQL));
  const limit = style === 'same' ? 21 : 20;
  app.get('/api/students', async () => list.all(identity.tenantId, limit).slice(0, 20));
  if (style === 'plain') {
    const insertReturning = db.prepare(toSqlite(`${INSERT_STUDENT_SQL} returning ${COLUMNS}`));
    app.post('/api/students', async (request, reply) =>
      reply.code(201).send(insertReturning.get(...studentRow(identity.tenantId, request.body as StudentInput))),
    );
  } else {
    const insertStudent = db.prepare(toSqlite(INSERT_STUDENT_SQL));
    const insertAudit = db.prepare(toSqlite(INSERT_AUDIT_SQL));
    const register = db.transaction((row: unknown[], audit: unknown[]) => {
      insertStudent.run(...row);
      insertAudit.run(...audit);
    });
    app.post('/api/students', async (request, reply) => {
      const row = studentRow(identity.tenantId, request.body as StudentInput);
      register(row, auditRow(identity, row[0], request.id));
      return reply.code(201).send({ id: row[0] });
    });
  }
  return {
    app,
    close: async () => {
      await app.close();
      db.close();
    },
  };
}

/**
 * A baseline of the API benchmark: Fastify with no logger, no auth and no validation, on the
 * same database as robusto, serving `POST /api/students` and `GET /api/students?limit=20` in
 * the given {@link BareStyle}. On SQLite with robusto's durability (WAL, `synchronous=FULL`).
 */
export function bareServer(target: BareTarget, style: BareStyle, identity: BareIdentity): BareServer {
  return target.engine === 'postgres' ? postgresServer(target.url, style, identity) : sqliteServer(target.file, style, identity);
}
