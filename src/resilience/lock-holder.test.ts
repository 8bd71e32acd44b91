import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { holderGone, holderName } from './lock-holder.js';

describe('lock holders', () => {
  it('names this process by its host and pid, plus an id of its own when asked', () => {
    expect(holderName()).toBe(`${os.hostname()}|${process.pid}`);
    const unique = holderName({ unique: true });
    expect(unique).toMatch(new RegExp(`^${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\|${process.pid}\\|[0-9a-f-]{36}$`));
    expect(holderName({ unique: true })).not.toBe(unique);
    expect(holderName({ unique: false })).toBe(`${os.hostname()}|${process.pid}`);
  });

  it('knows a holder of this machine gone only when its process no longer runs', () => {
    expect(holderGone(holderName())).toBe(false);
    expect(holderGone(holderName({ unique: true }))).toBe(false);
    // A process that ran and ended: its pid is free (or, rarely, taken again, and then it runs).
    const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(ended.stdout);
    expect(pid).toBeGreaterThan(0);
    expect(holderGone(`${os.hostname()}|${pid}`)).toBe(true);
    expect(holderGone(`${os.hostname()}|${pid}|some-id`)).toBe(true);
  });

  it('never takes a holder of another machine, or a name it cannot read, for gone', () => {
    expect(holderGone(`another-${os.hostname()}|${process.pid + 1_000_000}`)).toBe(false);
    expect(holderGone(`${os.hostname()}|not-a-pid`)).toBe(false);
    expect(holderGone(`${os.hostname()}|`)).toBe(false);
    expect(holderGone(os.hostname())).toBe(false);
    expect(holderGone('')).toBe(false);
    // A pid beyond any the system gives: the check itself fails, not with "no such process".
    expect(holderGone(`${os.hostname()}|${2 ** 40}`)).toBe(false);
  });
});
