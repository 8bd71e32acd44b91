import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { UnreadableFileError } from '../bounded-read.js';
import { text } from '../../shared/i18n/translate.js';

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A JSON value as a field of `COPY`'s text format: NULL as `\N`, a boolean as `t`/`f`, a number
 * as JSON writes it, an object or array (a JSON column) as its JSON text; backslashes, newlines,
 * carriage returns and tabs escaped. PostgreSQL then reads each field as the column's type reads
 * text: an ISO instant into a timestamptz, `1` into a boolean (a SQLite backup's), and so on.
 */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const field = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  return COPY_SPECIAL.test(field) ? field.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c] as string) : field;
}

const NEWLINE = 0x0a;
const TAB = 0x09;
const RETURN = 0x0d;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const CLOSE_BRACE = 0x7d;
const SPACE = 0x20;
/** Values longer than this are copied natively; shorter ones byte by byte. */
const NATIVE_COPY_BYTES = 64;
/** Decodes a line, failing on bytes that are not UTF-8 rather than replacing them; a byte order mark stays, for JSON.parse to refuse. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Digits of an integer every double holds exactly (2^53 has 16). */
const MAX_EXACT_DIGITS = 15;
const EMPTY = Buffer.alloc(0);
const NULL_FIELD = Buffer.from('\\N');
const JSON_NULL = Buffer.from('null');
const JSON_TRUE = Buffer.from('true');
const JSON_FALSE = Buffer.from('false');

/**
 * Turns NDJSON rows (bytes, lines cut anywhere) into `COPY` text-format lines of `columns`, in
 * their order: a column a row lacks is NULL, a key the table has no column for is left out.
 * Counts the rows and tells `onRows` the count after each chunk. A line longer than `maxBytes`
 * fails the stream rather than being buffered; so does a line that is not a JSON object.
 *
 * Why it reads bytes: a restore is bound by this conversion (a million rows took seconds through
 * `JSON.parse`). A line as robusto writes it, its keys in the columns' order with no whitespace,
 * strings without a backslash, integers of up to 15 digits, booleans and nulls, is copied field by field from the
 * bytes read, never decoded. Any other line (an escape, a decimal, a JSON column, keys in
 * another order) goes through `JSON.parse` and {@link copyField}: both give the same text.
 */
export class NdjsonToCopyText extends Transform {
  rows = 0;
  /** The start of a line the previous chunk cut. */
  #pending: Buffer | undefined;
  /** The bytes before each column's value: `{"id":` for the first, `,"name":` for the rest. */
  readonly #keys: Buffer[];
  #out = EMPTY;
  #at = 0;
  #pieces: Buffer[] = [];

  constructor(
    private readonly columns: readonly string[],
    private readonly maxBytes: number,
    private readonly onRows?: (rows: number) => void,
  ) {
    super();
    this.#keys = columns.map((column, index) => Buffer.from(`${index === 0 ? '{' : ','}${JSON.stringify(column)}:`));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      let start = 0;
      const first = chunk.indexOf(NEWLINE);
      if (this.#pending && first === -1) {
        this.#keepPending(Buffer.concat([this.#pending, chunk]));
        return done();
      }
      this.#startOutput(chunk.length + (this.#pending?.length ?? 0));
      if (this.#pending) {
        const line = Buffer.concat([this.#pending, chunk.subarray(0, first)]);
        this.#pending = undefined;
        this.#line(line);
        start = first + 1;
      }
      this.#lines(chunk, start);
      this.onRows?.(this.rows);
      this.#endOutput();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.#pending) {
        this.#startOutput(this.#pending.length);
        this.#line(this.#pending);
        this.#pending = undefined;
        this.#endOutput();
      }
      this.onRows?.(this.rows);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  /** Converts the whole lines of `chunk` from `start` on and keeps the last one's start when cut. */
  #lines(chunk: Buffer, start: number): void {
    // Where the next backslash, tab and carriage return are: a line holding one takes the slow path.
    const special = new SpecialBytes(chunk);
    assertUtf8(chunk, start, chunk.lastIndexOf(NEWLINE));
    let end = chunk.indexOf(NEWLINE, start);
    for (; end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.#convert(chunk, start, end, special);
      start = end + 1;
    }
    if (start < chunk.length) this.#keepPending(Buffer.from(chunk.subarray(start)));
  }

  /** Converts one whole line held in a buffer of its own (one that two chunks cut, or the last). */
  #line(line: Buffer): void {
    assertUtf8(line, 0, line.length);
    this.#convert(line, 0, line.length, new SpecialBytes(line));
  }

  /** Converts the line of `bytes` from `start` to `end` (without its newline), which `special` looks into. */
  #convert(bytes: Buffer, start: number, end: number, special: SpecialBytes): void {
    if (end - start > this.maxBytes) throw this.#tooLong();
    if (end > start && (special.next(start) < end || !this.#fast(bytes, start, end))) this.#slow(bytes, start, end);
  }

  /**
   * Copies a line shaped as robusto writes it (see the class) into the output as a COPY line and
   * counts it; leaves the output as it was and says false for any other line. The caller has
   * made sure the line holds no backslash, tab or carriage return.
   */
  #fast(line: Buffer, start: number, end: number): boolean {
    // A COPY line is never longer than the JSON line it comes from, newline included.
    this.#room(end - start + 1);
    const out = this.#out;
    let at = start;
    // NB: the output's end moves only once the whole line is copied: a line refused midway leaves it as it was.
    let to = this.#at;
    for (let index = 0; index < this.#keys.length; index++) {
      const key = this.#keys[index] as Buffer;
      if (!startsWith(line, at, end, key)) return false;
      at += key.length;
      if (index > 0) out[to++] = TAB;
      const first = line[at];
      if (first === QUOTE) {
        const close = line.indexOf(QUOTE, at + 1);
        if (close === -1 || close >= end) return false;
        const copied = copyText(line, at + 1, close, out, to);
        if (copied === -1) return false;
        to += copied;
        at = close + 1;
      } else if (first === JSON_NULL[0] && startsWith(line, at, end, JSON_NULL)) {
        to += NULL_FIELD.copy(out, to);
        at += JSON_NULL.length;
      } else if (first === JSON_TRUE[0] && startsWith(line, at, end, JSON_TRUE)) {
        out[to++] = 0x74; // t
        at += JSON_TRUE.length;
      } else if (first === JSON_FALSE[0] && startsWith(line, at, end, JSON_FALSE)) {
        out[to++] = 0x66; // f
        at += JSON_FALSE.length;
      } else {
        // An integer JavaScript holds exactly, as JSON writes it: `0`, or up to 15 digits not
        // starting with 0, after an optional `-` (not `-0`, which String() writes `0`). Any other
        // number (a decimal, an exponent, more digits) and an object or array take the slow path.
        const digits = first === MINUS ? at + 1 : at;
        let stop = digits;
        while (stop < end && (line[stop] as number) >= ZERO && (line[stop] as number) <= NINE) stop++;
        const count = stop - digits;
        if (count === 0 || count > MAX_EXACT_DIGITS || (line[digits] === ZERO && (count > 1 || digits > at))) return false;
        to += copyText(line, at, stop, out, to);
        at = stop;
      }
      const next = line[at];
      if (next !== COMMA && next !== CLOSE_BRACE) return false;
    }
    if (at !== end - 1 || line[at] !== CLOSE_BRACE) return false;
    out[to++] = NEWLINE;
    this.#at = to;
    this.rows++;
    return true;
  }

  /** Any line: parsed as JSON, each column written by {@link copyField}. */
  #slow(line: Buffer, start: number, end: number): void {
    const values = rowOf(STRICT_UTF8.decode(line.subarray(start, end)), this.rows + 1);
    let copied = '';
    for (let index = 0; index < this.columns.length; index++) {
      const column = this.columns[index] as string;
      copied += `${index === 0 ? '' : '\t'}${copyField(Object.hasOwn(values, column) ? values[column] : undefined)}`;
    }
    this.#write(Buffer.from(`${copied}\n`));
    this.rows++;
  }

  /** Starts the output of one chunk, with room for `bytes`: a chunk's lines copied by {@link #fast} never outgrow it. */
  #startOutput(bytes: number): void {
    this.#out = Buffer.allocUnsafe(Math.max(bytes, 1));
    this.#at = 0;
    this.#pieces = [];
  }

  /** Makes room for `bytes` more output, in a new buffer when the current one is too full. */
  #room(bytes: number): void {
    if (this.#out.length - this.#at >= bytes) return;
    if (this.#at > 0) this.#pieces.push(this.#out.subarray(0, this.#at));
    this.#out = Buffer.allocUnsafe(Math.max(bytes, this.#out.length));
    this.#at = 0;
  }

  /** Adds bytes the slow path wrote. */
  #write(bytes: Buffer): void {
    this.#room(bytes.length);
    this.#at += bytes.copy(this.#out, this.#at);
  }

  /** Pushes what the chunk gave. */
  #endOutput(): void {
    if (this.#at > 0) this.#pieces.push(this.#out.subarray(0, this.#at));
    for (const piece of this.#pieces) this.push(piece);
    this.#pieces = [];
    this.#out = EMPTY;
    this.#at = 0;
  }

  #keepPending(bytes: Buffer): void {
    if (bytes.length > this.maxBytes) throw this.#tooLong();
    this.#pending = bytes;
  }

  #tooLong(): UnreadableFileError {
    return new UnreadableFileError(text('backup.file.lineTooLong', { max: String(this.maxBytes) }));
  }
}

/**
 * Line `line` of a table file, parsed: a JSON object.
 *
 * @throws {SyntaxError} when it is not JSON.
 * @throws {UnreadableFileError} when it is JSON but not an object.
 */
export function rowOf(source: string, line: number): Record<string, unknown> {
  const row: unknown = JSON.parse(source);
  if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new UnreadableFileError(text('backup.problem.notARow', { line }));
  return row as Record<string, unknown>;
}

/**
 * Where the next backslash, tab or carriage return of a buffer is, from a position that only
 * grows. Each byte's next place is searched again only once it has been passed, so a chunk where
 * every line holds an escape is not searched to its end for the other two bytes at each line.
 */
class SpecialBytes {
  readonly #next = [-1, -1, -1];

  constructor(private readonly bytes: Buffer) {}

  /** The first of them at or after `start`; the buffer's length when none. */
  next(start: number): number {
    let first = this.bytes.length;
    for (let index = 0; index < SPECIAL.length; index++) {
      let at = this.#next[index] as number;
      if (at !== this.bytes.length && at < start) {
        at = this.bytes.indexOf(SPECIAL[index] as number, start);
        if (at === -1) at = this.bytes.length;
        this.#next[index] = at;
      }
      if (at < first) first = at;
    }
    return first;
  }
}

const SPECIAL = [BACKSLASH, TAB, RETURN];

/**
 * Fails (as the slow path's decoder does) when `bytes` from `start` to `end` are not UTF-8: the
 * fast path copies bytes as they are, and the server would refuse them only later, as its own
 * error rather than the backup's.
 */
function assertUtf8(bytes: Buffer, start: number, end: number): void {
  if (end > start && !isUtf8(bytes.subarray(start, end))) STRICT_UTF8.decode(bytes.subarray(start, end));
}

/** Whether `bytes` holds `prefix` at `at`, before `end`. */
function startsWith(bytes: Buffer, at: number, end: number, prefix: Buffer): boolean {
  if (end - at < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) if (bytes[at + index] !== prefix[index]) return false;
  return true;
}

/**
 * Copies the bytes of a JSON string's text (or an integer's) from `start` to `end` into `to` at
 * `at` and returns how many, or -1 when one is a control character, which JSON allows only
 * escaped (the slow path's `JSON.parse` then refuses the line). A loop for short values, where a
 * native copy costs more than it saves.
 */
function copyText(from: Buffer, start: number, end: number, to: Buffer, at: number): number {
  const length = end - start;
  for (let index = 0; index < length; index++) {
    const byte = from[start + index] as number;
    if (byte < SPACE) return -1;
    if (length <= NATIVE_COPY_BYTES) to[at + index] = byte;
  }
  return length <= NATIVE_COPY_BYTES ? length : from.copy(to, at, start, end);
}
