import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { copyField, NdjsonToCopyText } from './postgres-rows.js';

describe('NDJSON rows into COPY text', () => {
  it('writes each JSON value as COPY text reads it back', () => {
    expect([null, undefined, true, false, 12, 1.5, 'plain', 'tab\there', 'a\\b\nc\rd', { a: [1, 'x\ty'] }].map(copyField)).toEqual([
      '\\N',
      '\\N',
      't',
      'f',
      '12',
      '1.5',
      'plain',
      'tab\\there',
      'a\\\\b\\nc\\rd',
      '{"a":[1,"x\\\\ty"]}',
    ]);
  });

  it('turns lines cut anywhere (inside a character too) into rows of the columns, in order, counting them', async () => {
    const ndjson = Buffer.from('{"id":1,"name":"Ação","extra":true}\n\n{"name":"Zé\\tB","id":2}\n{"id":3}');
    const inside = ndjson.indexOf(Buffer.from('ç')) + 1;
    const chunks = [ndjson.subarray(0, inside), ndjson.subarray(inside, inside + 20), ndjson.subarray(inside + 20)];
    const counts: number[] = [];
    const rows = new NdjsonToCopyText(['id', 'name'], 1024, (n) => counts.push(n));
    const out = await text(Readable.from(chunks).pipe(rows));
    expect(out).toBe('1\tAção\n2\tZé\\tB\n3\t\\N\n');
    expect(rows.rows).toBe(3);
    expect(counts.at(-1)).toBe(3);
  });

  it('fails on a line longer than the limit and on a line that is not JSON', async () => {
    await expect(text(Readable.from([Buffer.from(`{"name":"${'x'.repeat(100)}`)]).pipe(new NdjsonToCopyText(['name'], 50)))).rejects.toThrow(/longer than 50/);
    await expect(text(Readable.from([Buffer.from('{"id":1}\nnot json\n')]).pipe(new NdjsonToCopyText(['id'], 50)))).rejects.toThrow(SyntaxError);
  });
});
