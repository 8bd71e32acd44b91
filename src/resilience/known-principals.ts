import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { keepPrivate } from '../db/private-file.js';
import type { Role } from '../shared/principal.js';

/** What this machine last saw of a user in the database. */
export interface KnownPrincipal {
  userId: string;
  tenantId: string;
  role: Role;
  email: string;
  active: boolean;
  /** The user's token epoch: tokens of an older epoch were revoked. */
  tokenEpoch: number;
  /** Whether the user held the installation role. */
  installationAdmin: boolean;
}

/** A user's state is written again, unchanged, at most this often (to keep `seen_at` roughly true). */
export const KNOWN_PRINCIPAL_REFRESH_MS = 3_600_000;
/** The most users whose last written state is kept in memory; it starts over empty when full. */
export const REMEMBERED_MAX = 10_000;

interface Row {
  user_id: string;
  tenant_id: string;
  role: Role;
  email: string;
  active: number;
  token_epoch: number;
  installation_admin: number;
}

/**
 * The users this machine has seen, as the database last described them (role, installation
 * role, active, token epoch), kept on disk in `DATA_DIR/principals.db` beside the journal. While the database cannot
 * be asked, a token gets no more than this allows, also in a process started during the outage:
 * a user deactivated, demoted or signed out before it keeps that state. The replay of a
 * journaled write checks its author against the database itself again.
 *
 * Without a data directory (a command-line tool) it is kept in memory only. A file that cannot
 * be opened falls back to memory too: this is a cache, and the replay is the real check.
 */
export class KnownPrincipals {
  readonly #db: SqliteDatabase.Database;
  readonly #get: SqliteDatabase.Statement;
  readonly #put: SqliteDatabase.Statement;
  /** What was last written per user, and when: an unchanged state is not written again for a while. */
  readonly #written = new Map<string, { state: string; at: number }>();

  constructor(dataDir: string | undefined) {
    this.#db = openFile(dataDir);
    this.#db.exec(`create table if not exists principals (
      user_id text primary key, tenant_id text not null, role text not null, email text not null,
      active integer not null, token_epoch integer not null, seen_at text not null,
      installation_admin integer not null default 0)`);
    // A file written before the installation role: its users are known without it (0), the least.
    const columns = this.#db.prepare('select name from pragma_table_info(?)').all('principals') as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'installation_admin')) this.#db.exec('alter table principals add column installation_admin integer not null default 0');
    this.#get = this.#db.prepare('select user_id, tenant_id, role, email, active, token_epoch, installation_admin from principals where user_id = ?');
    this.#put = this.#db.prepare(
      `insert into principals (user_id, tenant_id, role, email, active, token_epoch, installation_admin, seen_at) values (?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (user_id) do update set tenant_id = excluded.tenant_id, role = excluded.role, email = excluded.email,
         active = excluded.active, token_epoch = excluded.token_epoch, installation_admin = excluded.installation_admin, seen_at = excluded.seen_at`,
    );
  }

  /** The last known state of a user, if this machine ever saw them. */
  get(userId: string): KnownPrincipal | undefined {
    const row = this.#get.get(userId) as Row | undefined;
    return row
      ? {
          userId: row.user_id,
          tenantId: row.tenant_id,
          role: row.role,
          email: row.email,
          active: row.active === 1,
          tokenEpoch: row.token_epoch,
          installationAdmin: row.installation_admin === 1,
        }
      : undefined;
  }

  /**
   * Records what the database said of a user; written only when it changed (or was last written
   * long ago). Never throws: a write that fails is tried again at the next look-up.
   */
  remember(principal: KnownPrincipal): void {
    const state = `${principal.tenantId}|${principal.role}|${principal.email}|${principal.active ? 1 : 0}|${principal.tokenEpoch}|${principal.installationAdmin ? 1 : 0}`;
    const now = Date.now();
    const last = this.#written.get(principal.userId);
    if (last && last.state === state && now - last.at < KNOWN_PRINCIPAL_REFRESH_MS) return;
    if (!this.#db.open) return;
    try {
      this.#put.run(
        principal.userId,
        principal.tenantId,
        principal.role,
        principal.email,
        principal.active ? 1 : 0,
        principal.tokenEpoch,
        principal.installationAdmin ? 1 : 0,
        new Date(now).toISOString(),
      );
    } catch {
      // Busy (another process writing) or a full disk: the next look-up tries again.
      return;
    }
    if (this.#written.size >= REMEMBERED_MAX) this.#written.clear();
    this.#written.set(principal.userId, { state, at: now });
  }

  /** Closes the file. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function openFile(dataDir: string | undefined): SqliteDatabase.Database {
  if (dataDir) {
    const file = path.join(dataDir, 'principals.db');
    try {
      mkdirSync(dataDir, { recursive: true });
      keepPrivate(file);
      const db = new SqliteDatabase(file, { timeout: 1000 });
      db.pragma('journal_mode = WAL');
      // NB: a state lost to a power cut is at worst an older one; replay checks against the database.
      db.pragma('synchronous = NORMAL');
      return db;
    } catch {
      // Unreadable or unwritable: kept in memory, as without a data directory.
    }
  }
  return new SqliteDatabase(':memory:');
}
