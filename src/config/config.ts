/** Where the data of one robusto installation lives, all under `dataDir`. */
export interface DataPaths {
  dataDir: string;
  sqliteFile: string;
  logsDir: string;
  backupsDir: string;
  reportsDir: string;
  secretKeyFile: string;
}

/** Settings of the database connection pool (PostgreSQL; SQLite has one connection). */
export interface PoolConfig {
  max: number;
  statementTimeoutMs: number;
  /** `DB_WRITE_DEADLINE_MS`: silence from the server after which a write attempt is abandoned (PostgreSQL). */
  writeDeadlineMs: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxLifetimeSeconds: number;
}

/** The values of `HEALTH_DETAILS`: who gets the details of `/health` and `/metrics`. */
export type HealthDetails = 'loopback' | 'authorized' | 'always' | 'never';

/** How much the writes waiting in the journal may hold, in megabytes (`JOURNAL_MAX_MB`, `JOURNAL_TENANT_MAX_MB`). */
export interface JournalLimits {
  maxMegabytes: number;
  /** A quarter of `maxMegabytes` unless set. */
  tenantMaxMegabytes: number;
}

/**
 * robusto's whole configuration, validated once at start and then frozen. Everything that needs
 * a setting receives this object; nothing reads `process.env` but the loader.
 */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  paths: DataPaths;
  /** `sqlite` unless `DATABASE_URL` names a PostgreSQL server. */
  engine: 'sqlite' | 'postgres';
  databaseUrl: string | undefined;
  pool: PoolConfig;
  log: { level: string; format: 'json' | 'pretty'; file: boolean };
  secretKey: string;
  /** Server processes the supervisor runs (`WORKERS`). */
  workers: number;
  shutdownTimeoutMs: number;
  /** `SHUTDOWN_DELAY_MS`: on SIGTERM, how long readiness answers 503 before the server stops taking connections. */
  shutdownDelayMs: number;
  portWaitMs: number;
  idempotencyTtlHours: number;
  /** The journal's limits: what all waiting writes may hold, and what one tenant's may. */
  journal: JournalLimits;
  /** Longest a client may take to send a whole request (`REQUEST_TIMEOUT_MS`). */
  requestTimeoutMs: number;
  /** Event-loop delay past which requests are refused with 503 (`SHED_LOAD_AT_DELAY_MS`); 0 never. */
  shedLoadAtDelayMs: number;
  /**
   * Requests per minute by `METHOD /route` (and `default`) from `RATE_LIMITS`, changing the
   * built-in table; `null` turns rate limits off.
   */
  rateLimits: Record<string, number> | null;
  /**
   * Addresses and CIDR ranges of the reverse proxies whose `X-Forwarded-For` is believed
   * (`TRUST_PROXY`); empty when none is.
   */
  trustProxy: readonly string[];
  /**
   * Who gets the details of `/health` and `/metrics` (`HEALTH_DETAILS`): `loopback` a token of
   * the installation role or a client on this machine, `authorized` that token only, `always`,
   * `never`. Everyone gets the status and the check names.
   */
  healthDetails: HealthDetails;
  redisUrl: string | undefined;
  alertWebhookUrl: string | undefined;
  /** Absolute paths of extra module files from `ROBUSTO_MODULES`. */
  extraModules: string[];
  /** Scheduled backups (`BACKUP_SCHEDULE`, `BACKUP_KEEP_DAYS`); they go to `paths.backupsDir` (`BACKUP_DIR`). */
  backup: {
    /** A cron expression, or `null` when scheduled backups are off. */
    schedule: string | null;
    keepDays: number;
    /** `BACKUP_ENCRYPTION_KEY`: backups are encrypted with it when set. */
    encryptionKey: string | undefined;
  };
}
