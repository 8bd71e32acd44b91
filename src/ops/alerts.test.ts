import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ALERT_REPEAT_MS, Alerter, type AlertEvent } from './alerts.js';

// The throttle, on an injected clock: what is POSTed is read off fetch as it is called.
describe('Alerter: one alert per kind and subject per 10 minutes', () => {
  let sent: Array<Pick<AlertEvent, 'kind' | 'subject' | 'status'>>;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-01-01T00:00:00Z') });
    sent = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (_url, init) => {
      const { kind, subject, status } = JSON.parse(init?.body as string) as AlertEvent;
      sent.push(subject === undefined ? { kind, status } : { kind, subject, status });
      return new Response(null, { status: 200 });
    });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  const alerter = () => new Alerter('http://127.0.0.1:1/alerts', pino({ level: 'silent' }));

  it('a second raise within 10 minutes sends nothing; at 10 minutes it sends again', () => {
    expect(ALERT_REPEAT_MS).toBe(10 * 60_000);
    const a = alerter();
    a.raise('pool_saturated', 'busy');
    expect(sent).toEqual([{ kind: 'pool_saturated', status: 'firing' }]);
    vi.advanceTimersByTime(60_000);
    a.raise('pool_saturated', 'busy');
    vi.advanceTimersByTime(ALERT_REPEAT_MS - 60_000 - 1);
    a.raise('pool_saturated', 'busy');
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    a.raise('pool_saturated', 'busy');
    expect(sent).toEqual([
      { kind: 'pool_saturated', status: 'firing' },
      { kind: 'pool_saturated', status: 'firing' },
    ]);
    // the window starts again from the last one sent
    vi.advanceTimersByTime(ALERT_REPEAT_MS - 1);
    a.raise('pool_saturated', 'busy');
    expect(sent).toHaveLength(2);
  });

  it('another kind, or another subject of the same kind, is sent and throttled apart', () => {
    const a = alerter();
    a.raise('job_failing', 'failing', {}, { subject: 'a.job' });
    a.raise('job_failing', 'failing', {}, { subject: 'b.job' });
    a.raise('crash_loop', 'loop');
    a.raise('job_failing', 'failing', {}, { subject: 'a.job' });
    a.raise('job_failing', 'failing', {}, { subject: 'b.job' });
    a.raise('crash_loop', 'loop');
    expect(sent).toEqual([
      { kind: 'job_failing', subject: 'a.job', status: 'firing' },
      { kind: 'job_failing', subject: 'b.job', status: 'firing' },
      { kind: 'crash_loop', status: 'firing' },
    ]);
  });

  it('"resolved" is sent once, only after a firing, and only for that kind and subject', () => {
    const a = alerter();
    a.resolve('dead_letter', 'nothing fired');
    expect(sent).toEqual([]);
    a.raise('job_failing', 'failing', {}, { subject: 'a.job' });
    a.raise('job_failing', 'failing', {}, { subject: 'b.job' });
    a.resolve('job_failing', 'ok again', {}, { subject: 'a.job' });
    a.resolve('job_failing', 'ok again', {}, { subject: 'a.job' });
    a.resolve('job_failing', 'ok again', {}, { subject: 'c.job' });
    expect(sent).toEqual([
      { kind: 'job_failing', subject: 'a.job', status: 'firing' },
      { kind: 'job_failing', subject: 'b.job', status: 'firing' },
      { kind: 'job_failing', subject: 'a.job', status: 'resolved' },
    ]);
    // firedElsewhere: resolved although this process did not fire it
    a.resolve('job_failing', 'ok again', {}, { subject: 'd.job', firedElsewhere: true });
    expect(sent.at(-1)).toEqual({ kind: 'job_failing', subject: 'd.job', status: 'resolved' });
    expect(sent).toHaveLength(4);
  });
});
