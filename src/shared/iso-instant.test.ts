import { describe, expect, it } from 'vitest';
import { isoInstant } from './iso-instant.js';

describe('isoInstant', () => {
  it('is Date#toISOString for instants across milliseconds, seconds, days, leap days and years', () => {
    const starts = [
      0,
      Date.UTC(1999, 11, 31, 23, 59, 59),
      Date.UTC(2024, 1, 29, 23, 59, 59),
      Date.UTC(2026, 11, 1, 19, 20),
      Date.UTC(9999, 11, 31, 23, 59, 59),
    ];
    for (const start of starts) {
      for (const offset of [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 59_999, 60_000, 86_399_999]) {
        const ms = start + offset;
        if (ms > Date.UTC(9999, 11, 31, 23, 59, 59, 999)) continue;
        expect(isoInstant(ms), String(ms)).toBe(new Date(ms).toISOString());
      }
    }
  });

  it('is right when calls go back and forth between seconds (the cache follows)', () => {
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
    for (let i = 0; i < 2000; i++) {
      const ms = Date.UTC(2026, 0, 1) + (next() % 5_000);
      expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
    }
    expect(isoInstant()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
