import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log/create-logger.js';
import { sleep } from '../shared/sleep.js';
import { defineErrors } from '../shared/error-registry.js';

/** First wait before trying a busy port again. */
export const PORT_RETRY_INITIAL_DELAY_MS = 250;
/** Longest wait between two tries of a busy port. */
export const PORT_RETRY_MAX_DELAY_MS = 2_000;

/** Stable error code of listening for connections. */
export const ListenError = defineErrors('server', {
  PORT_BUSY: { code: 'ERR_PORT_BUSY' },
});

/** Thrown when the port stayed busy for the whole wait; its message says how to find the holder. */
export class PortBusyError extends Error {
  override readonly name = 'PortBusyError';
  readonly code = ListenError.PORT_BUSY;

  constructor(port: number, host: string, waitedMs: number) {
    super(
      `port ${port} on ${host} is still in use after ${Math.round(waitedMs / 1000)} s. ` +
        `Find the process holding it with "ss -ltnp 'sport = :${port}'" or "lsof -i :${port}", stop it, or set PORT to a free port.`,
    );
  }
}

/** Where and how long to try to listen. */
export interface ListenOptions {
  port: number;
  host: string;
  waitMs: number;
  log: Logger;
}

/**
 * Starts listening, and when the port is taken (another robusto still stopping, a stale
 * process) keeps trying with backoff for up to `waitMs` instead of dying at once.
 *
 * @throws {PortBusyError} when the port is still taken after `waitMs`.
 */
export async function listenWithRetry(app: FastifyInstance, options: ListenOptions): Promise<string> {
  const { port, host, waitMs, log } = options;
  const started = Date.now();
  let delay = PORT_RETRY_INITIAL_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await app.listen({ port, host });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
      const waited = Date.now() - started;
      if (waited >= waitMs) throw new PortBusyError(port, host, waited);
      const next = Math.min(delay, waitMs - waited);
      log.warn({ port, host, attempt, retryInMs: next, waitedMs: waited, maxWaitMs: waitMs }, 'port in use; waiting for it to be freed');
      await sleep(next);
      delay = Math.min(delay * 2, PORT_RETRY_MAX_DELAY_MS);
    }
  }
}
