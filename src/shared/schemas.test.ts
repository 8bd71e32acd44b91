import { describe, expect, it } from 'vitest';
import { isRealDate } from './schemas.js';

/** What the calendar says, through Date (setUTCFullYear takes years below 100 as they are). */
function existsByDate(year: number, month: number, day: number): boolean {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('isRealDate', () => {
  it.each([
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['2000-02-29', true],
    ['1900-02-29', false],
    ['2023-04-31', false],
    ['2023-12-31', true],
    ['2023-13-01', false],
    ['2023-00-10', false],
    ['2023-01-00', false],
    ['0001-01-01', true],
    ['0000-02-29', false],
    ['0000-01-01', false],
    ['2023-1-01', false],
    ['2023/01/01', false],
    ['2023-01-01T00:00:00Z', false],
    ['2023-01-0a', false],
    ['２０２３-01-01', false],
    ['', false],
  ])('%s → %s', (value, expected) => {
    expect(isRealDate(value)).toBe(expected);
  });

  it('agrees with the calendar on every day number of every month, leap years and centuries included', () => {
    for (const year of [0, 4, 100, 400, 1600, 1700, 1899, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999]) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 0; day <= 32; day++) {
          const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
          expect(isRealDate(text), text).toBe(year > 0 && day > 0 && existsByDate(year, month, day));
        }
      }
    }
  });
});
