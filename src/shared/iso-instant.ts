// The ISO 8601 text of one second, up to the dot ('2026-12-01T19:20:00.'), and that second.
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * An instant as ISO 8601 UTC with milliseconds (`2026-12-01T19:20:00.123Z`), the same text as
 * `new Date(ms).toISOString()` for any instant from year 0 to 9999. The date is formatted once a
 * second and only the milliseconds after that: `toISOString` costs about 0.7 µs, and every write
 * (its row, its audit row) and every log line needs the time.
 */
export function isoInstant(ms: number = Date.now()): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - second * 1000;
  return `${cachedPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
