import { constants, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { render, text, type LocalText } from '../shared/i18n/translate.js';

/** The largest `manifest.json` read: a manifest lists a few dozen tables, a few KiB. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** The longest line (one row) a table file may hold, unpacked; a longer one is refused, never buffered. */
export const MAX_ROW_BYTES = 16 * 1024 * 1024;

/**
 * A file of a backup or a restart record that is not an ordinary file robusto could have written
 * (a FIFO, a device, a symbolic link, a directory), is too large, or cannot be opened. `detail`
 * says which in the reader's language; the message says it in English, for the log.
 */
export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';
  constructor(readonly detail: LocalText) {
    super(render('en', detail));
  }
}

/** What kind of file `stats` describes, in words, for a message. */
function kindOf(stats: Stats): LocalText {
  if (stats.isSymbolicLink()) return text('backup.file.kind.link');
  if (stats.isDirectory()) return text('backup.file.kind.directory');
  if (stats.isFIFO()) return text('backup.file.kind.fifo');
  if (stats.isSocket()) return text('backup.file.kind.socket');
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return text('backup.file.kind.device');
  return text('backup.file.kind.other');
}

/**
 * Opens `file` for reading only if it is a regular file, without ever blocking or following a
 * link: `lstat` first (a link, a FIFO or a device is refused by name), then an open with
 * `O_NOFOLLOW | O_NONBLOCK` (opening a FIFO never waits for a writer) and an `fstat` of what was
 * opened, so a file swapped in between the two is refused too. `maxBytes`: a larger file is
 * refused before a byte of it is read, the error saying `tooLarge` after its size.
 *
 * @throws {UnreadableFileError} saying what the file is instead, or why it cannot be opened.
 */
export async function openRegularFile(
  file: string,
  maxBytes = Number.POSITIVE_INFINITY,
  tooLarge: LocalText = text('backup.file.moreThan', { max: String(maxBytes) }),
): Promise<{ handle: FileHandle; size: number }> {
  let before: Stats;
  try {
    before = await lstat(file);
  } catch (error) {
    throw new UnreadableFileError(
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? text('backup.file.missing') : text('backup.file.cannotRead', { reason: (error as Error).message }),
    );
  }
  if (!before.isFile()) throw new UnreadableFileError(text('backup.file.notRegular', { kind: kindOf(before) }));
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw new UnreadableFileError(text('backup.file.cannotOpen', { reason: (error as Error).message }));
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.ino !== before.ino || stats.dev !== before.dev) throw new UnreadableFileError(text('backup.file.replaced'));
    if (stats.size > maxBytes) throw new UnreadableFileError(text('backup.file.tooLarge', { size: String(stats.size), limit: tooLarge }));
    return { handle, size: stats.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The content of a small regular file (see {@link openRegularFile}), read asynchronously: at
 * most `maxBytes`, even should it grow while read.
 *
 * @throws {UnreadableFileError} a file that is not regular, is larger, or cannot be read.
 */
export async function readSmallFile(file: string, maxBytes: number): Promise<Buffer> {
  const { handle, size } = await openRegularFile(file, maxBytes);
  try {
    const buffer = Buffer.alloc(Math.min(size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new UnreadableFileError(text('backup.file.moreThanBytes', { max: String(maxBytes) }));
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * Splits a byte stream into its non-empty lines (UTF-8, without the `\n`), each pushed as a
 * string. A line longer than `maxBytes` fails the stream instead of being buffered: a small
 * compressed file that unpacks to one huge line costs at most `maxBytes` of memory.
 */
export class LineSplitter extends Transform {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(private readonly maxBytes: number) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      if (this.#pendingBytes + end - start > this.maxBytes) return done(this.#tooLong());
      this.#emit(Buffer.concat([...this.#pending, chunk.subarray(start, end)]));
      this.#pending = [];
      this.#pendingBytes = 0;
      start = end + 1;
    }
    if (start < chunk.length) {
      this.#pendingBytes += chunk.length - start;
      if (this.#pendingBytes > this.maxBytes) return done(this.#tooLong());
      this.#pending.push(chunk.subarray(start));
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.#pendingBytes > 0) this.#emit(Buffer.concat(this.#pending));
    this.#pending = [];
    done();
  }

  #emit(line: Buffer): void {
    if (line.length > 0) this.push(line.toString('utf8'));
  }

  #tooLong(): UnreadableFileError {
    return new UnreadableFileError(text('backup.file.lineTooLong', { max: String(this.maxBytes) }));
  }
}
