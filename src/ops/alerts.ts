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
  /** What of that kind, when there can be several (the job's name for `job_failing`). */
  subject?: string;
  status: 'firing' | 'resolved';
  summary: string;
  details: Record<string, unknown>;
  at: string;
  source: 'robusto';
  pid: number;
}

/** Which of several conditions of a kind an alert is about, and whether another process fired it. */
export interface AlertOptions {
  /** Alerts of a kind with different subjects (two failing jobs) are sent and throttled apart. */
  subject?: string;
  /** On resolve: send `resolved` even though this process did not fire it (a job whose streak another worker alerted). */
  firedElsewhere?: boolean;
}

/**
 * Sends alerts to `ALERT_WEBHOOK_URL` as JSON POSTs: `firing` when a condition starts, at most
 * once per kind (and subject) per 10 minutes, and `resolved` once it clears (only after a
 * `firing` was sent).
 * Without a URL alerts are only logged. A receiver that fails or hangs is logged, never thrown:
 * it cannot affect a request.
 */
export class Alerter {
  readonly #url: string | undefined;
  readonly #log: Logger;
  readonly #firing = new Map<string, number>();

  constructor(url: string | undefined, log: Logger) {
    this.#url = url;
    this.#log = log;
  }

  /** Says `kind` is happening; sends it unless one was sent in the last 10 minutes. */
  raise(kind: AlertKind, summary: string, details: Record<string, unknown> = {}, options: AlertOptions = {}): void {
    const key = `${kind}:${options.subject ?? ''}`;
    const last = this.#firing.get(key);
    if (last !== undefined && Date.now() - last < ALERT_REPEAT_MS) return;
    this.#firing.set(key, Date.now());
    this.#log.fatal({ alert: kind, subject: options.subject, ...details }, summary);
    void this.#send({ kind, ...(options.subject ? { subject: options.subject } : {}), status: 'firing', summary, details });
  }

  /** Says `kind` is over; sends `resolved` if a `firing` was sent for it (here, or elsewhere when the caller knows). */
  resolve(kind: AlertKind, summary: string, details: Record<string, unknown> = {}, options: AlertOptions = {}): void {
    if (!this.#firing.delete(`${kind}:${options.subject ?? ''}`) && !options.firedElsewhere) return;
    this.#log.info({ alert: kind, subject: options.subject, ...details }, summary);
    void this.#send({ kind, ...(options.subject ? { subject: options.subject } : {}), status: 'resolved', summary, details });
  }

  async #send(event: Omit<AlertEvent, 'at' | 'source' | 'pid'>): Promise<void> {
    if (!this.#url) return;
    const body: AlertEvent = { ...event, at: new Date().toISOString(), source: 'robusto', pid: process.pid };
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(ALERT_TIMEOUT_MS),
      });
      if (!response.ok) this.#log.warn({ alert: event.kind, status: response.status }, 'alert webhook answered with an error');
    } catch (error) {
      this.#log.warn({ alert: event.kind, err: error }, 'alert webhook unreachable');
    }
  }
}
