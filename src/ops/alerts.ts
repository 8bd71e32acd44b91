import type { Logger } from '../log/create-logger.js';

/** The longest a webhook call may take; a slow receiver never holds anything else up. */
export const ALERT_TIMEOUT_MS = 5_000;
/** At most one alert of a kind in this window (a flapping condition is not a storm of POSTs). */
export const ALERT_REPEAT_MS = 10 * 60_000;

/** What an alert is about. */
export type AlertKind = 'crash_loop' | 'dead_letter' | 'journal_stale' | 'health_failing' | 'pool_saturated' | 'job_failing';

/** The JSON body POSTed to `ALERT_WEBHOOK_URL`. */
export interface AlertEvent {
  kind: AlertKind;
  status: 'firing' | 'resolved';
  summary: string;
  details: Record<string, unknown>;
  at: string;
  source: 'robusto';
  pid: number;
}

/**
 * Sends alerts to `ALERT_WEBHOOK_URL` as JSON POSTs: `firing` when a condition starts, at most
 * once per kind per 10 minutes, and `resolved` once it clears (only after a `firing` was sent).
 * Without a URL alerts are only logged. A receiver that fails or hangs is logged, never thrown:
 * it cannot affect a request.
 */
export class Alerter {
  readonly #url: string | undefined;
  readonly #log: Logger;
  readonly #firing = new Map<AlertKind, number>();

  constructor(url: string | undefined, log: Logger) {
    this.#url = url;
    this.#log = log;
  }

  /** Says `kind` is happening; sends it unless one was sent in the last 10 minutes. */
  raise(kind: AlertKind, summary: string, details: Record<string, unknown> = {}): void {
    const last = this.#firing.get(kind);
    if (last !== undefined && Date.now() - last < ALERT_REPEAT_MS) return;
    this.#firing.set(kind, Date.now());
    this.#log.fatal({ alert: kind, ...details }, summary);
    void this.#send({ kind, status: 'firing', summary, details });
  }

  /** Says `kind` is over; sends `resolved` if a `firing` was sent for it. */
  resolve(kind: AlertKind, summary: string, details: Record<string, unknown> = {}): void {
    if (!this.#firing.delete(kind)) return;
    this.#log.info({ alert: kind, ...details }, summary);
    void this.#send({ kind, status: 'resolved', summary, details });
  }

  async #send(event: Omit<AlertEvent, 'at' | 'source' | 'pid'>): Promise<void> {
    if (!this.#url) return;
    const body: AlertEvent = { ...event, at: new Date().toISOString(), source: 'robusto', pid: process.pid };
    try {
      const response = await fetch(this.#url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(ALERT_TIMEOUT_MS) });
      if (!response.ok) this.#log.warn({ alert: event.kind, status: response.status }, 'alert webhook answered with an error');
    } catch (error) {
      this.#log.warn({ alert: event.kind, err: error }, 'alert webhook unreachable');
    }
  }
}
