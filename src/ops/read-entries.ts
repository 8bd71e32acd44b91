import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Reads, with `read`, each entry of `dir` whose name `accepts`: the listings of backups and of
 * restart records. An unreadable `dir` has none; an entry `read` throws on, or answers
 * `undefined` for, is left out (a damaged or foreign file must not hide the others).
 */
export function readEntries<T>(dir: string, accepts: (name: string) => boolean, read: (entryPath: string) => T | undefined): T[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter(accepts);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const entry = read(path.join(dir, name));
      return entry === undefined ? [] : [entry];
    } catch {
      return [];
    }
  });
}
