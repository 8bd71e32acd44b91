import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Database } from '../db/database.js';
import { CIRCUIT_OPEN_AFTER_FAILURES, DatabaseCircuit } from './circuit.js';
import { WriteOutcomeUnknownError } from './dispatcher.js';

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

const circuits: DatabaseCircuit[] = [];
afterEach(() => {
  for (const c of circuits.splice(0)) c.stop();
  vi.useRealTimers();
});

/** A circuit on a fake database whose ping answers as `ping` says, and the lines it logs. */
function loggedCircuit(ping: () => Promise<number>) {
  const lines: Array<Record<string, unknown> & { msg: string }> = [];
  const pings = { count: 0 };
  const db = {
    engine: 'postgres',
    ping: () => {
      pings.count++;
      return ping();
    },
  } as unknown as Database;
  const circuit = new DatabaseCircuit(
    db,
    pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown> & { msg: string }) }),
  );
  circuits.push(circuit);
  return { circuit, lines, pings };
}

async function openIt(circuit: DatabaseCircuit): Promise<void> {
  for (let i = 0; i < CIRCUIT_OPEN_AFTER_FAILURES; i++) await circuit.execute(() => Promise.reject(refused())).catch(() => undefined);
  expect(circuit.status).toBe('open');
}

/** A circuit on a fake database whose ping fails while `down` is true. */
function circuitOn(state: { down: boolean }): DatabaseCircuit {
  const db = { engine: 'postgres', ping: async () => (state.down ? Promise.reject(refused()) : 1) } as unknown as Database;
  const circuit = new DatabaseCircuit(db, pino({ level: 'silent' }));
  circuits.push(circuit);
  return circuit;
}

describe('DatabaseCircuit', () => {
  it('opens after consecutive transient failures, not after permanent ones or interrupted runs', async () => {
    const circuit = circuitOn({ down: true });
    for (let i = 0; i < CIRCUIT_OPEN_AFTER_FAILURES + 2; i++) {
      await expect(circuit.execute(() => Promise.reject(Object.assign(new Error('duplicate key'), { code: '23505' })))).rejects.toThrow('duplicate key');
    }
    expect(circuit.status).toBe('closed');
    for (let i = 0; i < CIRCUIT_OPEN_AFTER_FAILURES - 1; i++) await expect(circuit.execute(() => Promise.reject(refused()))).rejects.toThrow('ECONNREFUSED');
    await circuit.execute(async () => 'ok');
    await expect(circuit.execute(() => Promise.reject(refused()))).rejects.toThrow('ECONNREFUSED');
    expect(circuit.status).toBe('closed');
    await expect(circuit.execute(() => Promise.reject(refused()))).rejects.toThrow('ECONNREFUSED');
    await expect(circuit.execute(() => Promise.reject(refused()))).rejects.toThrow('ECONNREFUSED');
    expect(circuit.status).toBe('open');
    expect(circuit.openedAt).toEqual(expect.any(String));
  });

  it('opens on writes refused by a read-only standby (25006) and on a missing primary, as on an outage', async () => {
    const readOnly = () => Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' });
    const noHost = () => Object.assign(new Error('no host of DATABASE_URL is read-write'), { code: 'ERR_DATABASE_NO_HOST' });
    const circuit = circuitOn({ down: true });
    await expect(circuit.execute(() => Promise.reject(readOnly()))).rejects.toThrow('read-only');
    await expect(circuit.execute(() => Promise.reject(noHost()))).rejects.toThrow('no host');
    expect(circuit.status).toBe('closed');
    await expect(circuit.execute(() => Promise.reject(readOnly()))).rejects.toThrow('read-only');
    expect(circuit.status).toBe('open');
    const standby = circuitOn({ down: true });
    for (let i = 0; i < CIRCUIT_OPEN_AFTER_FAILURES; i++) standby.recordFailure(readOnly());
    await vi.waitFor(() => expect(standby.status).toBe('open'));
  });

  it('counts failures reported from outside (a read that failed), transient ones only', () => {
    const circuit = circuitOn({ down: true });
    for (let i = 0; i < 5; i++) circuit.recordFailure(new Error('a bug, not an outage'));
    expect(circuit.closed).toBe(true);
    for (let i = 0; i < CIRCUIT_OPEN_AFTER_FAILURES; i++) circuit.recordFailure(refused());
    return vi.waitFor(() => expect(circuit.status).toBe('open'));
  });

  it('probes the database while open and closes once it answers, telling its listeners', async () => {
    const state = { down: true };
    const circuit = circuitOn(state);
    const closed = vi.fn();
    circuit.onClose(closed);
    for (let i = 0; i < CIRCUIT_OPEN_AFTER_FAILURES; i++) await circuit.execute(() => Promise.reject(refused())).catch(() => undefined);
    expect(circuit.status).toBe('open');
    expect(await circuit.probe()).toBe(false);
    // the background probes keep failing while the database is down
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(circuit.closed).toBe(false);
    expect(closed).not.toHaveBeenCalled();
    state.down = false;
    await vi.waitFor(() => expect(circuit.status).toBe('closed'), { timeout: 6_000, interval: 50 });
    expect(closed).toHaveBeenCalledTimes(1);
    expect(circuit.openedAt).toBeUndefined();
  });

  it('through an outage the log says "opened" once and "closed" once, not once per failed probe', async () => {
    const state = { down: true };
    const lines: Array<{ msg: string }> = [];
    const db = { engine: 'postgres', ping: async () => (state.down ? Promise.reject(refused()) : 1) } as unknown as Database;
    const circuit = new DatabaseCircuit(db, pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as { msg: string }) }));
    circuits.push(circuit);
    for (let i = 0; i < CIRCUIT_OPEN_AFTER_FAILURES; i++) circuit.recordFailure(refused());
    await vi.waitFor(() => expect(circuit.status).toBe('open'));
    // about six probes fail (one every 250 ms)
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    state.down = false;
    await vi.waitFor(() => expect(circuit.closed).toBe(true));
    expect(lines.map((l) => l.msg)).toEqual([
      'database circuit opened: writes go to the journal, reads answer 503',
      'database circuit closed: the database answers again',
    ]);
  });

  it('counts a write whose COMMIT answer was lost as a failure of the database', async () => {
    const circuit = circuitOn({ down: true });
    for (let i = 0; i < CIRCUIT_OPEN_AFTER_FAILURES; i++) {
      await expect(circuit.execute(() => Promise.reject(new WriteOutcomeUnknownError('k', refused(), { status: 201, body: {} })))).rejects.toBeInstanceOf(
        WriteOutcomeUnknownError,
      );
    }
    expect(circuit.status).toBe('open');
  });

  it('refuses a probe before the half-open delay without touching the database, then runs one: half-open while it runs', async () => {
    vi.useFakeTimers();
    let answer: (value: number) => void = () => undefined;
    const { circuit, pings } = loggedCircuit(
      () =>
        new Promise<number>((resolve) => {
          answer = resolve;
        }),
    );
    await openIt(circuit);
    expect(await circuit.probe()).toBe(false);
    expect(pings.count).toBe(0);
    await vi.advanceTimersByTimeAsync(310);
    expect(pings.count).toBe(1);
    expect(circuit.status).toBe('half-open');
    expect(circuit.closed).toBe(false);
    // One probe at a time: the background probe waits for the one in flight.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pings.count).toBe(1);
    answer(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(circuit.status).toBe('closed');
    // Closed, it probes no more.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(pings.count).toBe(1);
  });

  it('takes a probe the database does not answer within 2 s for a failure', async () => {
    vi.useFakeTimers();
    const { circuit, pings } = loggedCircuit(() => new Promise<number>(() => undefined));
    await openIt(circuit);
    await vi.advanceTimersByTimeAsync(310);
    expect(pings.count).toBe(1);
    await vi.advanceTimersByTimeAsync(1_900);
    expect(circuit.status).toBe('half-open');
    await vi.advanceTimersByTimeAsync(200);
    expect(circuit.status).toBe('open');
    await vi.advanceTimersByTimeAsync(400);
    expect(pings.count).toBe(2);
  });

  it('logs the opening with its failures, a reminder a minute while it stays open, and the closing with the failed probes', async () => {
    vi.useFakeTimers();
    const state = { down: true };
    const { circuit, lines } = loggedCircuit(async () => (state.down ? Promise.reject(refused()) : 1));
    await openIt(circuit);
    const openedAt = circuit.openedAt;
    expect(openedAt).toBe(new Date().toISOString());
    expect(lines).toEqual([expect.objectContaining({ msg: 'database circuit opened: writes go to the journal, reads answer 503', failures: 3 })]);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(lines).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ msg: 'database circuit still open: the database does not answer', openedAt });
    const failedThen = lines[1]?.failedProbes as number;
    expect(failedThen).toBeGreaterThan(150);
    expect(failedThen).toBeLessThan(250);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lines).toHaveLength(3);
    state.down = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(circuit.status).toBe('closed');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ msg: 'database circuit closed: the database answers again', openedAt });
    expect(lines[3]?.failedProbes).toBeGreaterThan((lines[2]?.failedProbes as number) - 1);
    expect(circuit.openedAt).toBeUndefined();
  });

  it('counts the failed probes of each outage from zero', async () => {
    vi.useFakeTimers();
    const state = { down: true };
    const { circuit, lines } = loggedCircuit(async () => (state.down ? Promise.reject(refused()) : 1));
    await openIt(circuit);
    await vi.advanceTimersByTimeAsync(2_000);
    state.down = false;
    await vi.advanceTimersByTimeAsync(500);
    const first = lines.at(-1)?.failedProbes as number;
    expect(first).toBeGreaterThan(3);
    state.down = true;
    await openIt(circuit);
    state.down = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(lines.at(-1)).toMatchObject({ msg: 'database circuit closed: the database answers again', failedProbes: 0 });
  });

  it('stops probing when stopped', async () => {
    vi.useFakeTimers();
    const { circuit, pings } = loggedCircuit(() => Promise.reject(refused()));
    await openIt(circuit);
    await vi.advanceTimersByTimeAsync(1_000);
    const seen = pings.count;
    expect(seen).toBeGreaterThan(0);
    circuit.stop();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(pings.count).toBe(seen);
  });
});
