/**
 * Reads the statements a PostgreSQL client sends, from the raw bytes of its connection, so the
 * fault proxy can strike at one statement (a transaction's COMMIT) rather than at a moment.
 *
 * The frontend protocol: the first message (startup, or an SSL/GSS encryption request followed
 * by the startup) has no type byte, only an int32 length; every later message is a type byte
 * and an int32 length that counts itself. A simple query (`Q`) carries its SQL text, and so
 * does an extended-protocol parse (`P`) after the statement's name.
 */

/** Codes of the untyped requests after which the client sends its startup message again. */
const ENCRYPTION_REQUESTS = new Set([80877103, 80877104]);

/** Splits one connection's client-to-server bytes into messages and returns the SQL they carry. */
export class FrontendReader {
  #pending: Buffer = Buffer.alloc(0);
  #untyped = true;

  /** Takes the next chunk of the connection and returns the SQL texts of the messages it completed, in order. */
  push(chunk: Buffer): string[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const statements: string[] = [];
    for (;;) {
      const headerLength = this.#untyped ? 4 : 5;
      if (this.#pending.length < headerLength) break;
      const length = this.#untyped ? this.#pending.readInt32BE(0) : this.#pending.readInt32BE(1);
      const total = this.#untyped ? length : length + 1;
      if (this.#pending.length < total) break;
      const message = this.#pending.subarray(0, total);
      this.#pending = this.#pending.subarray(total);
      if (this.#untyped) {
        this.#untyped = length >= 8 && ENCRYPTION_REQUESTS.has(message.readInt32BE(4));
        continue;
      }
      const sql = sqlOf(message);
      if (sql !== undefined) statements.push(sql);
    }
    return statements;
  }
}

/** The SQL text of a simple query or a parse message; undefined for any other message. */
function sqlOf(message: Buffer): string | undefined {
  const body = message.subarray(5);
  if (message[0] === 0x51 /* Q */) return cString(body, 0);
  if (message[0] === 0x50 /* P */) {
    const nameEnd = body.indexOf(0);
    return nameEnd < 0 ? undefined : cString(body, nameEnd + 1);
  }
  return undefined;
}

function cString(buffer: Buffer, start: number): string {
  const end = buffer.indexOf(0, start);
  return buffer.toString('utf8', start, end < 0 ? buffer.length : end);
}
