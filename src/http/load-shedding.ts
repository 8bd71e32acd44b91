import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';
import type { AppState } from './app-state.js';

/** How often the event-loop delay is sampled. */
export const LOAD_SAMPLE_INTERVAL_MS = 250;
/** Seconds a shed request is told to wait. */
export const SHED_RETRY_AFTER_SECONDS = 2;

/** Health checks and metrics answer even under load: they are how an operator sees it. */
const EXEMPT = /^\/(health|metrics)(\/|$|\?)/;

/**
 * Sheds load (`@fastify/under-pressure`): while the event loop lags more than `maxDelayMs`, a
 * request is answered 503 `ERR_OVERLOADED` with `Retry-After` at once instead of joining a
 * queue whose answers would come too late anyway. Health and metrics are exempt. `0` disables it.
 *
 * NB: a lag measured before the server got ready is its own start-up (loading modules, building
 * routes), not load; for two samples after becoming ready, that stale figure is ignored. Without
 * this, a worker fresh from a rolling reload shed its first requests.
 */
export async function registerLoadShedding(app: FastifyInstance, maxDelayMs: number, state: AppState): Promise<void> {
  if (maxDelayMs === 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: maxDelayMs,
    sampleInterval: LOAD_SAMPLE_INTERVAL_MS,
    pressureHandler: async (request, _reply, _type, value) => {
      if (EXEMPT.test(request.url) || state.readySince === undefined || Date.now() - state.readySince < 2 * LOAD_SAMPLE_INTERVAL_MS) return;
      throw new AppError(ErrorCode.OVERLOADED, 503, `The server is overloaded (its event loop lags ${Math.round(Number(value))} ms); retry in a few seconds.`, {
        retryAfterSeconds: SHED_RETRY_AFTER_SECONDS,
      });
    },
  });
}
