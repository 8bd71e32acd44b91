import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Database } from '../db/database.js';
import { CIRCUIT_OPEN_AFTER_FAILURES, DatabaseCircuit } from './circuit.js';

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

const circuits: DatabaseCircuit[] = [];
afterEach(() => {
  for (const c of circuits.splice(0)) c.stop();
});

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
});
