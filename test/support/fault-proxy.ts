/**
 * A TCP proxy that integration tests put between the app and PostgreSQL (or
 * any TCP server) to inject network faults: refused connections, TCP resets,
 * stalls and latency.
 *
 * Every connection is a pair: the client socket accepted by the proxy and the
 * upstream socket the proxy opens to the target. Bytes flow through a FIFO
 * queue per direction, so stalling holds them in memory and latency delays
 * them without ever reordering them.
 */
import net from 'node:net';
import { FrontendReader } from './pg-frontend.js';

/** The fault currently injected by a {@link FaultProxy}. */
export type ProxyMode = 'pass' | 'refuse' | 'stall' | 'latency';

/** A running fault-injection proxy, controlled by the test. */
export interface FaultProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  readonly port: number;
  /** Returns the given postgres:// URL with host and port replaced by 127.0.0.1:<proxy port>. */
  readonly url: (databaseUrl: string) => string;
  /** Returns the current mode. */
  mode(): ProxyMode;
  /** Forwards traffic normally, and resumes stalled or delayed connections by flushing their held bytes at once. */
  pass(): void;
  /** Accepts new connections and destroys them at once with a TCP RST; existing connections keep working. */
  refuse(): void;
  /** Destroys every existing connection pair with a TCP RST, on both the client and the upstream side. */
  resetAll(): void;
  /** Simulates a full outage: refuse() plus resetAll(). */
  cut(): void;
  /** Keeps connections open but stops forwarding bytes in both directions, holding them in memory; new connections are stalled too. */
  stall(): void;
  /** Forwards traffic, delaying each chunk by `ms` milliseconds while keeping byte order. */
  latency(ms: number): void;
  /**
   * Arms a one-shot fault on a PostgreSQL connection: at the COMMIT of the next transaction that
   * ran a statement matching `statement`, the connection is reset on both sides, `before` the
   * COMMIT reaches the server (which then rolls the transaction back) or `after` the server has
   * answered it (committed, but the client never hears so). Other traffic passes. Resolves once
   * the fault has struck.
   */
  cutAtCommit(when: 'before' | 'after', statement: RegExp): Promise<void>;
  /**
   * Calls `listener` with the SQL text of each message a client sends that carries one (a simple
   * query, or an extended-protocol parse), in order: what one round trip took to the server.
   * Returns a function that stops it.
   */
  listen(listener: (sql: string) => void): () => void;
  /** Returns the number of live client connections. */
  connections(): number;
  /** Stops listening and destroys every connection; resolves when the server is closed. */
  close(): Promise<void>;
}

/** Above this many queued bytes in one direction the source socket is paused (TCP backpressure). */
const HIGH_WATER_BYTES = 1024 * 1024;

interface Chunk {
  readonly data: Buffer;
  /** Epoch ms at which the chunk may be forwarded in latency mode. */
  readonly due: number;
}

/** One direction of a connection pair: bytes read from `source` are written to `dest`. */
interface Direction {
  readonly source: net.Socket;
  readonly dest: net.Socket;
  readonly queue: Chunk[];
  queuedBytes: number;
  /** The source sent FIN or closed: end `dest` once the queue is flushed. */
  sourceDone: boolean;
  /** `dest` has been ended by us. */
  destEnded: boolean;
  /** Waiting for `dest` to emit 'drain'. */
  waitingDrain: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** A fault armed by {@link FaultProxy.cutAtCommit}. */
interface CommitTrap {
  readonly when: 'before' | 'after';
  readonly statement: RegExp;
  readonly struck: () => void;
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly up: Direction; // client -> upstream
  readonly down: Direction; // upstream -> client
}

/** Destroys a socket with a TCP RST when possible, or plainly otherwise; never throws. */
function hardDestroy(socket: net.Socket): void {
  if (socket.destroyed) return;
  try {
    // resetAndDestroy() on a still-connecting socket waits for 'connect', which may never come.
    if (socket.connecting) socket.destroy();
    else socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** Builds the proxy URL for a PostgreSQL connection string. */
function rewriteUrl(databaseUrl: string, port: number): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  // Query parameters would override the host in pg's connection-string parser.
  for (const key of ['host', 'hostaddr', 'port']) url.searchParams.delete(key);
  return url.toString();
}

/**
 * Starts a fault-injection TCP proxy on 127.0.0.1 (a free port) in front of `target`, in 'pass' mode.
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let currentMode: ProxyMode = 'pass';
  let latencyMs = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  let trap: CommitTrap | undefined;
  const listeners = new Set<(sql: string) => void>();
  const pairs = new Set<Pair>();

  const pump = (dir: Direction): void => {
    if (dir.timer !== undefined) {
      clearTimeout(dir.timer);
      dir.timer = undefined;
    }
    if (currentMode === 'stall' || dir.waitingDrain || dir.dest.destroyed) return;
    while (dir.queue.length > 0) {
      const head = dir.queue[0] as Chunk;
      if (currentMode === 'latency') {
        const wait = head.due - Date.now();
        if (wait > 0) {
          dir.timer = setTimeout(() => pump(dir), wait);
          return;
        }
      }
      dir.queue.shift();
      dir.queuedBytes -= head.data.length;
      const ok = dir.dest.write(head.data);
      if (!ok) {
        dir.waitingDrain = true;
        dir.dest.once('drain', () => {
          dir.waitingDrain = false;
          pump(dir);
        });
        break;
      }
    }
    if (dir.queuedBytes < HIGH_WATER_BYTES && dir.source.isPaused() && !dir.source.destroyed) {
      dir.source.resume();
    }
    if (dir.queue.length === 0 && dir.sourceDone) {
      if (!dir.destEnded) {
        dir.destEnded = true;
        dir.dest.end();
      }
      if (dir.source.destroyed && !dir.dest.destroyed) {
        // The source is gone entirely, so the other direction has nowhere to go:
        // close `dest` as soon as the bytes written to it are flushed.
        if (dir.dest.writableFinished) dir.dest.destroy();
        else dir.dest.once('finish', () => dir.dest.destroy());
      }
    }
  };

  /**
   * Called with each chunk before it is queued; false drops it (the pair has been reset). The
   * client's chunks are the ones with the statements a commit trap looks for.
   */
  type Inspect = (data: Buffer) => boolean;

  const makeDirection = (source: net.Socket, dest: net.Socket, inspect: Inspect = () => true): Direction => {
    const dir: Direction = {
      source,
      dest,
      queue: [],
      queuedBytes: 0,
      sourceDone: false,
      destEnded: false,
      waitingDrain: false,
      timer: undefined,
    };
    source.on('data', (data: Buffer) => {
      if (!inspect(data)) return;
      const delay = currentMode === 'latency' ? latencyMs : 0;
      dir.queue.push({ data, due: Date.now() + delay });
      dir.queuedBytes += data.length;
      if (dir.queuedBytes >= HIGH_WATER_BYTES) source.pause();
      pump(dir);
    });
    source.on('end', () => {
      dir.sourceDone = true;
      pump(dir);
    });
    return dir;
  };

  const dropPair = (pair: Pair): void => {
    if (pair.client.destroyed && pair.upstream.destroyed) {
      for (const dir of [pair.up, pair.down]) {
        if (dir.timer !== undefined) clearTimeout(dir.timer);
        dir.timer = undefined;
        dir.queue.length = 0;
        dir.queuedBytes = 0;
      }
      pairs.delete(pair);
    }
  };

  /** `outgoing` is the direction whose source just closed. */
  const onSocketClose = (pair: Pair, outgoing: Direction, hadError: boolean): void => {
    if (hadError) {
      // Propagate the abrupt failure (e.g. a reset) to the other side.
      hardDestroy(outgoing.dest);
    } else {
      // Flush what the closed side already sent, then close the other side.
      outgoing.sourceDone = true;
      pump(outgoing);
    }
    dropPair(pair);
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    client.on('error', () => {
      /* ECONNRESET and friends are normal here. */
    });
    if (closed || currentMode === 'refuse') {
      hardDestroy(client);
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    upstream.on('error', () => {
      /* ECONNREFUSED, ECONNRESET and friends are normal here. */
    });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const statements = new FrontendReader();
    let inTrappedTransaction = false;
    let cutAtReply: CommitTrap | undefined;
    const strike = (armed: CommitTrap): false => {
      hardDestroy(client);
      hardDestroy(upstream);
      armed.struck();
      return false;
    };
    const fromClient: Inspect = (data) => {
      for (const sql of statements.push(data)) {
        for (const listener of listeners) listener(sql);
        if (trap === undefined) continue;
        if (/^\s*begin\b/i.test(sql)) inTrappedTransaction = false;
        if (trap.statement.test(sql)) inTrappedTransaction = true;
        // A COMMIT alone, or ending a message that carries the transaction's last statements.
        if (inTrappedTransaction && /(?:^|;)\s*commit\s*;?\s*$/i.test(sql)) {
          const armed = trap;
          trap = undefined;
          if (armed.when === 'before') return strike(armed);
          cutAtReply = armed;
        }
      }
      return true;
    };
    const fromServer: Inspect = () => (cutAtReply === undefined ? true : strike(cutAtReply));
    const pair: Pair = {
      client,
      upstream,
      up: makeDirection(client, upstream, fromClient),
      down: makeDirection(upstream, client, fromServer),
    };
    pairs.add(pair);
    client.on('close', (hadError) => onSocketClose(pair, pair.up, hadError));
    upstream.on('close', (hadError) => onSocketClose(pair, pair.down, hadError));
  });
  server.on('error', (err) => {
    console.error('fault-proxy: server error', err);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new Error('fault-proxy: could not read the listening port');
  }
  const port = address.port;

  const pumpAll = (): void => {
    for (const pair of pairs) {
      pump(pair.up);
      pump(pair.down);
    }
  };

  const resetAll = (): void => {
    for (const pair of [...pairs]) {
      hardDestroy(pair.client);
      hardDestroy(pair.upstream);
    }
  };

  return {
    port,
    url: (databaseUrl: string) => rewriteUrl(databaseUrl, port),
    mode: () => currentMode,
    pass() {
      currentMode = 'pass';
      latencyMs = 0;
      pumpAll();
    },
    refuse() {
      currentMode = 'refuse';
      latencyMs = 0;
      pumpAll();
    },
    resetAll,
    cut() {
      currentMode = 'refuse';
      latencyMs = 0;
      resetAll();
    },
    stall() {
      currentMode = 'stall';
      for (const pair of pairs) {
        for (const dir of [pair.up, pair.down]) {
          if (dir.timer !== undefined) clearTimeout(dir.timer);
          dir.timer = undefined;
        }
      }
    },
    latency(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`fault-proxy: invalid latency ${ms}`);
      currentMode = 'latency';
      latencyMs = ms;
      pumpAll();
    },
    cutAtCommit(when, statement) {
      return new Promise<void>((struck) => {
        trap = { when, statement, struck };
      });
    },
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connections() {
      let live = 0;
      for (const pair of pairs) if (!pair.client.destroyed) live += 1;
      return live;
    },
    close() {
      if (closing !== undefined) return closing;
      closed = true;
      closing = new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const pair of [...pairs]) {
          for (const dir of [pair.up, pair.down]) {
            if (dir.timer !== undefined) clearTimeout(dir.timer);
            dir.timer = undefined;
          }
          pair.client.destroy();
          pair.upstream.destroy();
        }
      });
      return closing;
    },
  };
}
