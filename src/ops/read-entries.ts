import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Reads, with `read`, each entry of `dir` whose name `accepts`: the listing of restart records.
 * An unreadable `dir` has none; an entry `read` throws on, or answers `undefined` for, is left
 * out (a damaged or foreign file must not hide the others). Asynchronous, so a file that would
 * block (a FIFO) holds up no other request.
 */
export async function readEntries<T>(dir: string, accepts: (name: string) => boolean, read: (entryPath: string) => Promise<T | undefined>): Promise<T[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(accepts);
  } catch {
    return [];
  }
  const entries = await Promise.all(names.map((name) => read(path.join(dir, name)).catch(() => undefined)));
  return entries.filter((entry): entry is Awaited<T> => entry !== undefined);
}
