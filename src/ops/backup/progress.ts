import { Transform } from 'node:stream';

/**
 * What `backup`, `verify` and `restore` tell while they run, for a person watching: how many
 * rows there are in all (when known), which table is being moved and how far it is. The CLI
 * draws it on a terminal; elsewhere nobody listens.
 */
export interface BackupProgress {
  /** The work starts: `totalRows` in all, undefined when not known beforehand (an estimate is fine). */
  begin(totalRows: number | undefined): void;
  /**
   * Table `table` has moved `rows` rows so far (0 when it starts). Tables may move at the same
   * time (a PostgreSQL backup copies two at once), each with its own count.
   */
  rows(table: string, rows: number): void;
  /** The work is over, done or failed. */
  end(): void;
}

const NEWLINE = 0x0a;

/**
 * A pass-through stream that counts the lines (newline bytes) of NDJSON going through it and
 * tells `onRows` the count so far: a row is a line, so this counts rows without parsing them.
 */
export class LineCounter extends Transform {
  #lines = 0;

  constructor(private readonly onRows?: (rows: number) => void) {
    super();
  }

  /** Lines counted so far. */
  get lines(): number {
    return this.#lines;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) this.#lines++;
    this.onRows?.(this.#lines);
    done(null, chunk);
  }
}
