import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';
import type { AppState } from './app-state.js';
import { text } from '../shared/i18n/translate.js';

/** How often the event-loop delay is sampled. */
export const LOAD_SAMPLE_INTERVAL_MS = 250;
/** Seconds a shed request is told to wait. */
export const SHED_RETRY_AFTER_SECONDS = 2;

/** Health checks and metrics answer even under load: they are how an operator sees it. */
const EXEMPT = /^\/(health|metrics)(\/|$|\?)/;

/**
 * How late a timer due every `intervalMs` fires: how long the event loop was held before it.
 * `stallMs()` is the larger of the last measured lateness and how overdue the next tick is now.
 */
function watchStalls(intervalMs: number): { stallMs(): number; stop(): void } {
  let due = performance.now() + intervalMs;
  let lastStall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lastStall = Math.max(0, now - due);
    due = now + intervalMs;
  }, intervalMs);
  timer.unref();
  return { stallMs: () => Math.max(lastStall, performance.now() - due), stop: () => clearInterval(timer) };
}

/**
 * Sheds load (`@fastify/under-pressure`): while the event loop lags more than `maxDelayMs`, a
 * request is answered 503 `ERR_OVERLOADED` with `Retry-After` at once instead of joining a
 * queue whose answers would come too late anyway. Health and metrics are exempt. `0` disables it.
 *
 * NB: `@fastify/under-pressure` (9.2.0) reports a sampling window without any sample as a delay
 * of `Infinity`: a single pause just over the 250 ms window, far below the threshold, would shed
 * every request for the next window. For such a window the pause is measured here instead (how
 * late a timer of the same interval fired) and compared with the threshold.
 *
 * NB: a lag measured before the server got ready is its own start-up (loading modules, building
 * routes), not load; for two samples after becoming ready, that stale figure is ignored. Without
 * this, a worker fresh from a rolling reload shed its first requests.
 */
export async function registerLoadShedding(app: FastifyInstance, maxDelayMs: number, state: AppState): Promise<void> {
  if (maxDelayMs === 0) return;
  const stalls = watchStalls(LOAD_SAMPLE_INTERVAL_MS);
  app.addHook('onClose', async () => stalls.stop());
  await app.register(underPressure, {
    maxEventLoopDelay: maxDelayMs,
    sampleInterval: LOAD_SAMPLE_INTERVAL_MS,
    pressureHandler: async (request, _reply, _type, value) => {
      if (EXEMPT.test(request.url) || state.readySince === undefined || Date.now() - state.readySince < 2 * LOAD_SAMPLE_INTERVAL_MS) return;
      const lagMs = Number.isFinite(value) ? Number(value) : stalls.stallMs();
      if (lagMs <= maxDelayMs) return;
      throw new AppError(ErrorCode.OVERLOADED, 503, text('http.overloaded', { lagMs: Math.round(lagMs) }), {
        retryAfterSeconds: SHED_RETRY_AFTER_SECONDS,
      });
    },
  });
}
