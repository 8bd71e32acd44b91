import { Type, type TSchema } from '@sinclair/typebox';
import { redactUrlPassword } from '../shared/secrets.js';

/**
 * One environment variable robusto reads: its schema, default, a good example, and the phrase
 * shown when a value is wrong.
 */
export interface EnvVariable {
  /** TypeBox schema of the value after conversion from the environment string. */
  schema: TSchema;
  /** Value used when the variable is unset; `undefined` leaves it unset. */
  default?: string;
  /** A good value, shown in the error line and the README. */
  example: string;
  /** What the value must be, completing "PORT must be …". */
  expected: string;
  /** What the variable does (Markdown), for docs/configuration.md, which is checked against it. */
  description: string;
  /** How the docs state the default when it is computed rather than one value (`generated`, `a quarter of …`). */
  documentedDefault?: string;
  /** A secret: an invalid value is described by its length, never shown. */
  secret?: true;
  /** How an invalid value is shown when part of it is secret (a URL without its password). */
  shown?: (raw: string) => string;
}

const port = Type.Integer({ minimum: 1, maximum: 65535 });
// Node's timers hold at most 2^31-1 ms (about 24.8 days); a larger value fires at once.
const MAX_TIMER_MS = 2_147_483_647;
const positiveMs = Type.Integer({ minimum: 1, maximum: MAX_TIMER_MS });

/**
 * Every variable robusto reads, in one table. The config loader validates the environment
 * against it; nothing else reads `process.env`.
 */
export const ENV_VARIABLES = {
  NODE_ENV: {
    schema: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')]),
    default: 'development',
    example: 'production',
    expected: 'one of development, production, test',
    description: '`production` makes `SECRET_KEY` mandatory',
  },
  PORT: {
    schema: port,
    default: '8000',
    example: '8000',
    expected: 'a whole number from 1 to 65535',
    description: 'TCP port of the HTTP server',
  },
  HOST: {
    schema: Type.String({ minLength: 1 }),
    default: '127.0.0.1',
    example: '0.0.0.0',
    expected: 'a host name or IP address to listen on',
    description: 'address to listen on (`0.0.0.0` for every interface)',
  },
  DATA_DIR: {
    schema: Type.String({ minLength: 1 }),
    default: './data',
    example: '/var/lib/robusto',
    expected: 'a directory path',
    description: 'SQLite database, secret key, logs, backups, reports',
  },
  DATABASE_URL: {
    schema: Type.String({ pattern: '^postgres(ql)?://' }),
    example: 'postgres://robusto:secret@127.0.0.1:5432/robusto',
    expected:
      'a postgres:// or postgresql:// URL, with one host or several (db1:5432,db2:5432) and optionally target_session_attrs=read-write (leave it unset for the embedded SQLite database)',
    shown: redactUrlPassword,
    description:
      '`postgres://user:pass@host:5432/db`; unset means SQLite at `$DATA_DIR/robusto.db`. Several hosts, tried in order, follow a failover: `postgres://user:pass@db1:5432,db2:5432/db?target_session_attrs=read-write` connects only to the one that accepts writes (also `any`, the default, `read-only`, `primary`, `standby`, `prefer-standby`, as in libpq; the `host` and `port` parameters may list them too). While none does, writes are journaled (202) (see "PostgreSQL failover" in [production.md](production.md))',
  },
  LOG_LEVEL: {
    schema: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
    default: 'info',
    example: 'debug',
    expected: 'one of fatal, error, warn, info, debug, trace, silent',
    description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`',
  },
  LOG_FORMAT: {
    schema: Type.Union([Type.Literal('json'), Type.Literal('pretty')]),
    default: 'json',
    example: 'pretty',
    expected: 'json or pretty',
    description: '`json` or `pretty`',
  },
  LOG_FILE: {
    schema: Type.Boolean(),
    default: 'false',
    example: 'true',
    expected: 'true or false',
    description: 'also write `$DATA_DIR/logs/robusto.*.log`, rotated daily and at 10 MB, 14 files kept',
  },
  SECRET_KEY: {
    schema: Type.String({ minLength: 32 }),
    example: '3vQ8b1Jx0Z2mYk9T4rW7sN6pL5hC1dF8gA0eR2uI',
    expected: 'at least 32 characters (generate one with: openssl rand -base64 48)',
    secret: true,
    description: '≥ 32 characters; outside production generated once into `$DATA_DIR/secret.key` (mode 0600)',
    documentedDefault: 'generated',
  },
  DB_POOL_MAX: {
    schema: Type.Integer({ minimum: 1, maximum: 1000 }),
    default: '20',
    example: '20',
    expected: 'a whole number from 1 to 1000',
    description: 'most PostgreSQL connections per process',
  },
  DB_STATEMENT_TIMEOUT_MS: {
    // the client's own read timeout is this plus a margin, and must stay a valid timer
    schema: Type.Integer({ minimum: 1, maximum: 86_400_000 }),
    default: '30000',
    example: '30000',
    expected: 'a whole number of milliseconds from 1 to 86400000 (a day)',
    description: 'a statement running longer is cancelled',
  },
  DB_WRITE_DEADLINE_MS: {
    schema: positiveMs,
    default: '1000',
    example: '1000',
    expected: 'a whole number of milliseconds from 1 to 2147483647',
    description:
      'a PostgreSQL write whose server answers nothing this long (on any connection, not even a ping) is abandoned, its connection destroyed, and journaled (202); a slow statement on a server that answers is not cut',
  },
  DB_CONNECT_TIMEOUT_MS: {
    schema: positiveMs,
    default: '10000',
    example: '10000',
    expected: 'a whole number of milliseconds from 1 to 2147483647',
    description: 'give up opening a connection after this long',
  },
  DB_IDLE_TIMEOUT_MS: {
    schema: positiveMs,
    default: '30000',
    example: '30000',
    expected: 'a whole number of milliseconds from 1 to 2147483647',
    description: 'close a connection idle this long',
  },
  DB_MAX_LIFETIME_S: {
    schema: Type.Integer({ minimum: 1, maximum: Math.floor(MAX_TIMER_MS / 1000) }),
    default: '3600',
    example: '3600',
    expected: 'a whole number of seconds from 1 to 2147483',
    description: 'replace a connection after this age',
  },
  WORKERS: {
    schema: Type.Integer({ minimum: 1, maximum: 64 }),
    example: '2',
    expected: 'a whole number from 1 to 64',
    description: 'server processes `robusto start` runs (SQLite has one writer at a time: more would queue on its lock)',
    documentedDefault: '1 on SQLite, CPU cores on PostgreSQL',
  },
  SHUTDOWN_TIMEOUT_MS: {
    schema: positiveMs,
    default: '10000',
    example: '10000',
    expected: 'a whole number of milliseconds from 1 to 2147483647',
    description: 'on SIGTERM, how long in-flight requests may take',
  },
  SHUTDOWN_DELAY_MS: {
    schema: Type.Integer({ minimum: 0, maximum: 600_000 }),
    default: '0',
    example: '3000',
    expected: 'a whole number of milliseconds from 0 to 600000',
    description:
      "on SIGTERM, how long `/health/ready` answers 503 while requests are still served as usual (each response saying `Connection: close`), before the server stops taking connections and drains: set it above the load balancer's health-check interval × fall (see [production.md](production.md)) so it stops sending first; `0` stops taking connections at once",
  },
  PORT_WAIT_MS: {
    schema: Type.Integer({ minimum: 0, maximum: MAX_TIMER_MS }),
    default: '30000',
    example: '30000',
    expected: 'a whole number of milliseconds from 0 to 2147483647',
    description: 'how long to keep retrying when `PORT` is taken',
  },
  JOURNAL_MAX_MB: {
    schema: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    default: '512',
    example: '512',
    expected: 'a whole number of megabytes from 1 to 1000000',
    description: 'most the writes waiting in the local journal may hold; past it writes get 503 `ERR_JOURNAL_UNAVAILABLE` instead of 202',
  },
  JOURNAL_TENANT_MAX_MB: {
    schema: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }),
    example: '128',
    expected: 'a number of megabytes greater than 0, at most JOURNAL_MAX_MB (decimals allowed, e.g. 0.5)',
    description:
      "most one tenant's waiting writes may hold (decimals allowed); past it that tenant gets 503 `ERR_JOURNAL_TENANT_FULL` while the others still get 202",
    documentedDefault: 'a quarter of `JOURNAL_MAX_MB`',
  },
  IDEMPOTENCY_TTL_HOURS: {
    schema: Type.Integer({ minimum: 1, maximum: 24 * 365 }),
    default: '72',
    example: '72',
    expected: 'a whole number of hours from 1 to 8760',
    description: 'how long the first outcome of an `Idempotency-Key` is kept',
  },
  BACKUP_SCHEDULE: {
    schema: Type.String({ minLength: 1 }),
    default: '30 2 * * *',
    example: '30 2 * * *',
    expected: '"off", or a cron expression of 5 fields (minute hour day month weekday), e.g. "30 2 * * *" for 02:30 every day',
    description:
      'when robusto backs itself up (cron, server local time; `off` to turn it off): a backup into `BACKUP_DIR`, verified, then those older than `BACKUP_KEEP_DAYS` deleted (see "Backups" in [operations.md](operations.md))',
  },
  BACKUP_DIR: {
    schema: Type.String({ minLength: 1 }),
    example: '/mnt/backup-disk/robusto',
    expected: 'a directory path',
    description: 'where backups go, scheduled or `robusto backup`; a directory on another disk survives the loss of this one',
    documentedDefault: '`$DATA_DIR/backups`',
  },
  BACKUP_KEEP_DAYS: {
    schema: Type.Integer({ minimum: 1, maximum: 3650 }),
    default: '30',
    example: '30',
    expected: 'a whole number of days from 1 to 3650',
    description: 'backups in `BACKUP_DIR` older than this are deleted after each scheduled backup and by `robusto prune` (the newest always stays)',
  },
  BACKUP_ENCRYPTION_KEY: {
    schema: Type.String({ minLength: 16 }),
    example: 'Zk3u9Qx0bL7sV2mT8rY4wN6pH1cJ5dF0',
    expected: 'at least 16 characters (generate one with: openssl rand -base64 32)',
    secret: true,
    description:
      '≥ 16 characters: every backup (scheduled, `robusto backup`, before a restart) is encrypted with it and its manifest authenticated (HMAC), and `verify`/`restore` need it; while it is set, `restore` refuses a plain backup unless `--allow-unencrypted`; keep a copy away from the backups, without it they cannot be restored',
  },
  REQUEST_TIMEOUT_MS: {
    schema: Type.Integer({ minimum: 1000, maximum: 600_000 }),
    default: '30000',
    example: '30000',
    expected: 'a whole number of milliseconds from 1000 to 600000',
    description:
      'longest a client may take to send a whole request (headers within at most 10 s); a slower one gets 408 and is closed. Idle kept-alive connections close after 72 s; at most 4096 connections at once',
  },
  SHED_LOAD_AT_DELAY_MS: {
    schema: Type.Integer({ minimum: 0, maximum: 60_000 }),
    default: '1000',
    example: '500',
    expected: 'a whole number of milliseconds from 0 to 60000',
    description:
      'past this event-loop delay, requests get 503 `ERR_OVERLOADED` with `Retry-After` at once instead of queueing; `/health` and `/metrics` still answer; `0` never sheds',
  },
  TRUST_PROXY: {
    schema: Type.String({ minLength: 1 }),
    default: 'off',
    example: '127.0.0.1,10.0.0.0/8',
    expected: '"off", or comma-separated addresses or CIDR ranges (IPv4 or IPv6) of your reverse proxies; "loopback" stands for 127.0.0.0/8 and ::1',
    description:
      'the reverse proxies (nginx, HAProxy) in front of robusto: comma-separated addresses or CIDR ranges, IPv4 or IPv6, `loopback` for 127.0.0.0/8 and ::1. A request from one of them is rate-limited and logged under the client address its `X-Forwarded-For` names (the last address no trusted proxy added); from anywhere else that header is ignored, so a client cannot pick its own address. Example for nginx on the same machine: `TRUST_PROXY=loopback`; for HAProxy on 10.0.0.2: `TRUST_PROXY=10.0.0.2` (with `option forwardfor` in its backend)',
  },
  RATE_LIMITS: {
    schema: Type.String({
      pattern: '^(off|(default|(GET|POST|PUT|PATCH|DELETE) /[^\\s,=]*)=[0-9]+(, *(default|(GET|POST|PUT|PATCH|DELETE) /[^\\s,=]*)=[0-9]+)*)$',
    }),
    example: 'default=600,POST /api/students=300',
    expected: '"off", or comma-separated METHOD /route=requests-per-minute entries (and default=N)',
    description:
      'requests per minute per user (per IP before sign-in), per route: built in, `default=600`, `POST /api/customers`, `/api/products`, `/api/students` 100, `POST /api/stock/use` 200, `POST /api/auth/users` 50; public routes (the admin page) are counted per IP as the request arrives. Sign-in has its own limits, on even when this is `off` (see [api.md](api.md)). Change entries with e.g. `default=1200,POST /api/students=300`; `off` when a gateway in front limits. Past a limit: 429 `ERR_RATE_LIMITED` with `Retry-After`; `/health`, `/metrics` and `/docs` are never limited',
    documentedDefault: 'the built-in table',
  },
  HEALTH_DETAILS: {
    schema: Type.Union([Type.Literal('loopback'), Type.Literal('authorized'), Type.Literal('always'), Type.Literal('never')]),
    default: 'loopback',
    example: 'authorized',
    expected: 'one of loopback, authorized, always, never',
    description:
      'who gets the details of `/health` and `/metrics` (error texts, figures, version, per-route series; everyone gets the status and the check names): `loopback` a token of a user with the installation role, or a client on this machine; `authorized` that token only; `always`; `never` (see "Health" in [operations.md](operations.md))',
  },
  REDIS_URL: {
    schema: Type.String({ pattern: '^rediss?://' }),
    example: 'redis://127.0.0.1:6379',
    expected: 'a redis:// or rediss:// URL',
    description: 'keep the rate-limit counters in Redis, shared by all workers and instances (in memory otherwise); a Redis that fails never blocks a request',
  },
  ALERT_WEBHOOK_URL: {
    schema: Type.String({ pattern: '^https?://' }),
    example: 'https://hooks.example.com/robusto',
    expected: 'an http:// or https:// URL',
    description:
      'receives a JSON POST `{kind, status: "firing", summary, details, at}` when workers crash-loop, the database fails for 30 s, the pool stays over 80 % busy for a minute, the oldest journaled write is older than 5 minutes, or a dead letter appears; `status: "resolved"` when each clears; at most one per kind per 10 minutes; a failing receiver is logged, never felt by requests. Alerts are also fatal log lines',
  },
  ROBUSTO_MODULES: {
    schema: Type.String(),
    default: '',
    example: './my-modules/invoices.js,./my-modules/crm.js',
    expected: 'comma-separated paths of compiled module files',
    description: 'comma-separated paths of your own compiled module files',
    documentedDefault: 'empty',
  },
} satisfies Record<string, EnvVariable>;

/** Name of one variable in {@link ENV_VARIABLES}. */
export type EnvName = keyof typeof ENV_VARIABLES;
