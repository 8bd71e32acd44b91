import pg from 'pg';
import { DatabaseStalledError } from '../database-stalled.js';

/**
 * How long a ping on the monitor's connection (connecting included) may take. Below the health
 * check's 2 s budget, so `/health` answers in time even when the server is stalled.
 */
export const MONITOR_PING_TIMEOUT_MS = 1_500;
/** node-postgres's own timeouts on the monitor's connection, a backstop just past the ping's. */
const MONITOR_DRIVER_TIMEOUT_MS = MONITOR_PING_TIMEOUT_MS + 500;

/**
 * Watches whether the PostgreSQL server answers, on its own dedicated connection, outside the
 * pool: health checks, circuit probes and the write deadline's liveness pings never wait for a
 * pooled connection nor hold one, so monitoring cannot exhaust the pool, and a stalled server
 * costs it nothing.
 *
 * It also keeps the instant of the last answer the server gave on any connection (the pool's
 * clients report theirs through {@link noteAnswer}), which is how a write tells a slow statement
 * (the server keeps answering) from a stalled server (nothing answers).
 */
export class PostgresMonitor {
  readonly #connectionString: string;
  readonly #Client: typeof pg.Client;
  #client: Promise<pg.Client> | undefined;
  #inFlight: Promise<number> | undefined;
  #lastAnswerAt = -Infinity;
  #closed = false;

  /** @param Client the client class to connect with: one that chooses among several hosts (see `clientThrough`), or node-postgres's own. */
  constructor(connectionString: string, Client: typeof pg.Client = pg.Client) {
    this.#connectionString = connectionString;
    this.#Client = Client;
  }

  /** `performance.now()` of the last answer from the server, on any connection. */
  get lastAnswerAt(): number {
    return this.#lastAnswerAt;
  }

  /** Records that the server just answered (a query of any connection succeeded or failed with a server error). */
  noteAnswer(): void {
    this.#lastAnswerAt = performance.now();
  }

  /**
   * One round trip (`SELECT 1`) on the dedicated connection, opened first if needed; resolves
   * its latency in milliseconds. Concurrent callers share the ping in flight. Fails within
   * {@link MONITOR_PING_TIMEOUT_MS} (node-postgres's `connectionTimeoutMillis` and
   * `query_timeout`); a connection that failed or timed out is destroyed, and the next ping
   * opens a new one.
   */
  ping(): Promise<number> {
    this.#inFlight ??= this.#ping().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Closes the dedicated connection; pings fail from then on. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.then((c) => c.end()).catch(() => undefined);
  }

  async #ping(): Promise<number> {
    if (this.#closed) throw new Error('the database monitor is closed');
    const started = performance.now();
    const connecting = (this.#client ??= this.#connect());
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DatabaseStalledError(`the database did not answer within ${MONITOR_PING_TIMEOUT_MS} ms`)), MONITOR_PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([connecting.then((client) => client.query('select 1')), stalled]);
      this.noteAnswer();
      return performance.now() - started;
    } catch (error) {
      this.#drop(connecting);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #connect(): Promise<pg.Client> {
    // NB: node-postgres's own timeouts destroy the socket of a connect or a query that gets no
    // answer; the timer in #ping decides first, names the failure, and ends the connection.
    const client = new this.#Client({
      connectionString: this.#connectionString,
      connectionTimeoutMillis: MONITOR_DRIVER_TIMEOUT_MS,
      query_timeout: MONITOR_DRIVER_TIMEOUT_MS,
      statement_timeout: MONITOR_DRIVER_TIMEOUT_MS,
      keepAlive: true,
      application_name: 'robusto-monitor',
    });
    const connecting = client.connect().then(() => client);
    // Without a listener an error of the idle connection (a server restart) would crash the process.
    client.on('error', () => this.#drop(connecting));
    return connecting;
  }

  /** Forgets the connection `connecting` resolves to (if still the current one) and destroys it. */
  #drop(connecting: Promise<pg.Client>): void {
    if (this.#client === connecting) this.#client = undefined;
    // NB: `end()` destroys the socket when a query is still waiting for its answer, so a stalled
    // server keeps nothing of it.
    connecting.then((client) => client.end()).catch(() => undefined);
  }
}
