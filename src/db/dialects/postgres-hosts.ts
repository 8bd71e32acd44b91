import pg from 'pg';
import type { DatabaseHost, DatabaseTarget } from '../../config/database-url.js';
import { DatabaseError } from '../database.errors.js';
import { isTransientError } from '../transient-errors.js';

/**
 * No host of `DATABASE_URL` gave a connection of the kind its `target_session_attrs` asks for
 * (each was down, or of the wrong role): transient, as during a failover before a standby is
 * promoted. The message says what each host did.
 */
export class NoDatabaseHostError extends Error {
  override readonly name = 'NoDatabaseHostError';
  readonly code = DatabaseError.NO_HOST;
}

/** What a connection checks its server for: a `target_session_attrs` but `prefer-standby`, which is `standby` first, then `any`. */
type Requirement = 'any' | 'read-write' | 'read-only' | 'primary' | 'standby';

/** What a server says it is. */
interface ServerRole {
  inRecovery: boolean;
  readOnly: boolean;
}

/** A host a connection may go to, and what it was found to fit. */
interface Choice {
  host: DatabaseHost;
  requirement: Requirement;
}

/** Called when connections start going to another host (the first one too). */
export type HostChosenListener = (host: DatabaseHost, previous: DatabaseHost | undefined, target: DatabaseTarget['targetSessionAttrs']) => void;

/** How a server of this role reads to a person. */
function roleName(role: ServerRole): string {
  return `${role.inRecovery ? 'a standby' : 'a primary'}${role.readOnly ? ', read-only' : ''}`;
}

function fits(role: ServerRole, requirement: Requirement): boolean {
  switch (requirement) {
    case 'any':
      return true;
    case 'read-write':
      return !role.readOnly;
    case 'read-only':
      return role.readOnly;
    case 'primary':
      return !role.inRecovery;
    case 'standby':
      return role.inRecovery;
  }
}

/** Asks a connected client what its server is, in one round trip. */
async function roleOf(client: pg.Client): Promise<ServerRole> {
  const { rows } = await client.query<{ in_recovery: boolean; read_only: string }>(
    "select pg_catalog.pg_is_in_recovery() as in_recovery, pg_catalog.current_setting('transaction_read_only') as read_only",
  );
  const row = rows[0];
  return { inRecovery: row?.in_recovery === true, readOnly: row?.read_only === 'on' };
}

/** `host:port` as a person reads it. */
export function describeHost(host: DatabaseHost): string {
  return host.host.includes(':') ? `[${host.host}]:${host.port}` : `${host.host}:${host.port}`;
}

/**
 * Points a client that has not connected yet at `host`. node-postgres reads the client's `host`
 * and `port` when it connects, after the connection string set them to the URL's first host.
 */
function aim(client: pg.Client, host: DatabaseHost): void {
  client.host = host.host;
  client.port = host.port;
}

/**
 * Chooses, for each new connection, the host of a multi-host `DATABASE_URL` it goes to, as libpq
 * does with `target_session_attrs`: the hosts are tried in the order listed, each connected to
 * and (unless `any`) asked `pg_is_in_recovery()` and `transaction_read_only`, and the first that
 * fits is used; one that refuses, times out or has the wrong role is passed over; when none fits
 * the connection fails with {@link NoDatabaseHostError} (transient: writes are journaled).
 *
 * The host found is remembered, and new connections go straight to it (checked again, on their
 * own connection) as long as it keeps fitting; only when one fails there, or finds it of the
 * wrong role, is the list walked again from the start, by one walk that concurrent connections
 * share. So a failover costs the connections to the old primary, and the new primary is found
 * by the first connection after it is promoted.
 */
export class HostChooser {
  readonly #target: DatabaseTarget;
  readonly #probeOptions: pg.ClientConfig;
  readonly #onChosen: HostChosenListener | undefined;
  #current: Choice | undefined;
  #chosenBefore: DatabaseHost | undefined;
  #walking: Promise<Choice> | undefined;
  /** Errors of connections that failed on the remembered host, which was then forgotten. */
  readonly #onForgotten = new WeakSet<object>();

  /**
   * @param probeOptions node-postgres options of the short connections that try hosts during a
   *   walk (connection string, timeouts); each is aimed at the host it tries.
   */
  constructor(target: DatabaseTarget, probeOptions: pg.ClientConfig, onChosen?: HostChosenListener) {
    this.#target = target;
    this.#probeOptions = probeOptions;
    this.#onChosen = onChosen;
  }

  /**
   * Connects `client` (which has not connected yet) through `open` to the remembered host, or to
   * the first that fits after a walk of the list, and checks its role on that connection.
   * `abandoned` says whether whoever wanted the connection gave up meanwhile (a pool's connect
   * timeout, an `end()`): then nothing more is opened.
   */
  async connect(client: pg.Client, open: () => Promise<unknown>, abandoned: () => boolean): Promise<void> {
    const remembered = this.#current;
    const choice = remembered ?? (await this.#walk());
    if (abandoned()) throw new NoDatabaseHostError(`the connection to ${describeHost(choice.host)} was abandoned before it was opened`);
    aim(client, choice.host);
    let opened = false;
    try {
      await open();
      opened = true;
      if (choice.requirement !== 'any') {
        const role = await roleOf(client);
        if (!fits(role, choice.requirement)) {
          throw new NoDatabaseHostError(`${describeHost(choice.host)} is ${roleName(role)} now, not ${this.#target.targetSessionAttrs}`);
        }
      }
    } catch (error) {
      if (opened) await client.end().catch(() => undefined);
      if (this.#current === choice) this.#current = undefined;
      if (remembered && typeof error === 'object' && error !== null) this.#onForgotten.add(error);
      throw error;
    }
  }

  /**
   * True for the error of a connection that failed on the remembered host (now forgotten), also
   * as the cause of a pool's timeout error: another connection walks the list, which is worth
   * one more try at once.
   */
  worthRetrying(error: unknown): boolean {
    if (typeof error !== 'object' || error === null) return false;
    const cause = (error as { cause?: unknown }).cause;
    return this.#onForgotten.has(error) || (typeof cause === 'object' && cause !== null && this.#onForgotten.has(cause));
  }

  #walk(): Promise<Choice> {
    this.#walking ??= this.#walkOnce().finally(() => {
      this.#walking = undefined;
    });
    return this.#walking;
  }

  async #walkOnce(): Promise<Choice> {
    const attrs = this.#target.targetSessionAttrs;
    const failures: Array<{ host: DatabaseHost; error: Error }> = [];
    const reachable: DatabaseHost[] = [];
    const requirement: Requirement = attrs === 'prefer-standby' ? 'standby' : attrs;
    for (const host of this.#target.hosts) {
      const outcome = await this.#probe(host, requirement !== 'any');
      if (outcome instanceof Error) {
        failures.push({ host, error: outcome });
        continue;
      }
      if (outcome === undefined || fits(outcome, requirement)) return this.#choose({ host, requirement });
      reachable.push(host);
      failures.push({ host, error: new NoDatabaseHostError(`it is ${roleName(outcome)}`) });
    }
    // prefer-standby: no standby answered, so any server that did.
    const fallback = attrs === 'prefer-standby' ? reachable[0] : undefined;
    if (fallback) return this.#choose({ host: fallback, requirement: 'any' });
    // Every host answered with a permanent error (a wrong password, a missing database): that
    // error, as a single host would give it, not an outage.
    const first = failures[0]?.error;
    if (first && failures.every((f) => !(f.error instanceof NoDatabaseHostError) && !isTransientError(f.error))) throw first;
    throw new NoDatabaseHostError(
      `no host of DATABASE_URL is ${attrs === 'any' ? 'reachable' : attrs}: ${failures.map((f) => `${describeHost(f.host)}: ${f.error.message}`).join('; ')}`,
    );
  }

  /** Connects to `host` on a short connection of its own: its role (when `askRole`), undefined when not asked, or why it failed. */
  async #probe(host: DatabaseHost, askRole: boolean): Promise<ServerRole | undefined | Error> {
    const client = new pg.Client({ ...this.#probeOptions, application_name: 'robusto-host-check' });
    // Without a listener, an error of the connection after it answered would crash the process.
    client.on('error', () => undefined);
    aim(client, host);
    try {
      await client.connect();
      return askRole ? await roleOf(client) : undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  #choose(choice: Choice): Choice {
    this.#current = choice;
    const previous = this.#chosenBefore;
    if (previous?.host !== choice.host.host || previous.port !== choice.host.port) this.#onChosen?.(choice.host, previous, this.#target.targetSessionAttrs);
    this.#chosenBefore = choice.host;
    return choice;
  }
}

/**
 * A node-postgres client class whose `connect()` goes through `chooser`, for `pg.Pool`'s `Client`
 * option and the monitor's connection. Its `end()` before the connection is opened (or a pool
 * destroying its socket at its connect timeout) stops the connect from opening one later.
 */
export function clientThrough(chooser: HostChooser): typeof pg.Client {
  return class ChosenHostClient extends pg.Client {
    #ended = false;

    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): Promise<pg.Client> | void {
      const connecting = chooser
        .connect(
          this,
          () => super.connect(),
          () => this.#ended || this.connection.stream.destroyed,
        )
        .then(() => this);
      if (!callback) return connecting;
      // node-postgres calls back with the error alone, or null and the client.
      const done = callback as (err: Error | null, c?: pg.Client) => void;
      connecting.then(
        (client) => done(null, client),
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
    }

    override end(): Promise<void>;
    override end(callback: (err: Error) => void): void;
    override end(callback?: (err: Error) => void): Promise<void> | void {
      this.#ended = true;
      if (!callback) return super.end();
      super.end(callback);
    }
  };
}
