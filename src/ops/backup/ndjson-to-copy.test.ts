import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it, vi } from 'vitest';
import { copyField, NdjsonToCopyText } from './ndjson-to-copy.js';

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

describe('NDJSON rows into COPY text, line by line as JSON.parse reads them', () => {
  const columns = ['id', 'name', 'n', 'ok', 'note'];
  const lines = [
    // As robusto writes them: copied byte for byte.
    '{"id":"a1","name":"Ação Ünïcode 😀","n":-42,"ok":true,"note":null}',
    '{"id":"a2","name":"","n":0,"ok":false,"note":"x"}',
    '{"id":"a3","name":"a, } { name: ,","n":123456789012345,"ok":true,"note":"{}"}',
    `{"id":"a6","name":"${'Ação longa '.repeat(12)}","n":1,"ok":true,"note":"${'x'.repeat(65)}"}`,
    // Values as long as the literals null (4) and false (5): never taken for them.
    '{"id":"a7","name":"x","n":1234,"ok":true,"note":"four"}',
    '{"id":"a8","name":"x","n":12345,"ok":false,"note":"fiver"}',
    // Anything else: parsed.
    '{"id":"b0","name":"a \\"quoted\\" name","n":1,"ok":true,"note":null}',
    '{"id":"b1","name":"tab\\there\\nnew\\\\line\\r","n":1,"ok":true,"note":"\\u00e9"}',
    '{"id":"b2","name":"x","n":1.5,"ok":true,"note":{"nested":["a\\tb",2]}}',
    '{"id":"b3","name":"x","n":1e3,"ok":true,"note":[1,2]}',
    '{"id":"b4","name":"x","n":-0,"ok":true,"note":null}',
    '{"id":"b5","name":"x","n":1234567890123456,"ok":true,"note":null}',
    '{"id":"b5b","name":"x","n":12345678901234567890,"ok":true,"note":null}',
    '{"name":"keys in another order","id":"b6","ok":false,"n":7,"note":null}',
    '{"id":"b7","name":"a key missing","n":7,"ok":false}',
    '{"id":"b8","name":"a key more","n":7,"ok":false,"note":null,"more":1}',
    '{"id": "b9", "name": "spaces", "n": 7, "ok": false, "note": null}',
    '{"id":"b10","name":"carriage return before the newline","n":7,"ok":false,"note":null}\r',
    // Lines whose COPY text is longer than their JSON, between lines copied as they are.
    '{}',
    '{"id":"a4","name":"after","n":1,"ok":true,"note":null}',
    '{"n":2}',
    '{"id":"a5","name":"after","n":3,"ok":false,"note":"x"}',
  ];
  const expected = lines.map((line) => `${columns.map((column) => copyField((JSON.parse(line) as Record<string, unknown>)[column])).join('\t')}\n`).join('');
  const ndjson = Buffer.from(lines.join('\n'));
  const asWritten = 6;

  it('copies the lines shaped as robusto writes them without parsing them', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const out = await text(Readable.from([Buffer.from(lines.slice(0, asWritten).join('\n'))]).pipe(new NdjsonToCopyText(columns, 4096)));
      expect(out).toBe(
        expected
          .split('\n')
          .slice(0, asWritten)
          .map((line) => `${line}\n`)
          .join(''),
      );
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('writes every line as copyField writes its parsed values, wherever the chunks are cut', async () => {
    for (let cut = 0; cut <= ndjson.length; cut++) {
      const rows = new NdjsonToCopyText(columns, 4096);
      const out = await text(Readable.from([ndjson.subarray(0, cut), ndjson.subarray(cut)]).pipe(rows));
      expect(out, `cut at byte ${cut}`).toBe(expected);
      expect(rows.rows).toBe(lines.length);
    }
  });

  it('gives the same text one byte at a time', async () => {
    const bytes = Array.from(ndjson, (byte) => Buffer.from([byte]));
    expect(await text(Readable.from(bytes).pipe(new NdjsonToCopyText(columns, 4096)))).toBe(expected);
  });

  it('fails on a line that is JSON but not an object, naming the row', async () => {
    for (const value of ['[1,2]', 'null', '5', '"x"', 'true']) {
      const rows = new NdjsonToCopyText(['id'], 4096);
      await expect(text(Readable.from([Buffer.from(`{"id":"1"}\n${value}\n`)]).pipe(rows)), value).rejects.toThrow(/line 2 is not a row/);
    }
  });

  it('takes a line of exactly the limit, and fails on a longer one whether a chunk holds it whole or two chunks cut it', async () => {
    const line = (bytes: number) => `{"id":"${'x'.repeat(bytes - 9)}"}`;
    expect(await text(Readable.from([Buffer.from(`${line(50)}\n`)]).pipe(new NdjsonToCopyText(['id'], 50)))).toBe(`${'x'.repeat(41)}\n`);
    await expect(text(Readable.from([Buffer.from(`${line(51)}\n`)]).pipe(new NdjsonToCopyText(['id'], 50)))).rejects.toThrow(/longer than 50/);
    const cut = Buffer.from(`${line(51)}\n`);
    await expect(text(Readable.from([cut.subarray(0, 40), cut.subarray(40)]).pipe(new NdjsonToCopyText(['id'], 50)))).rejects.toThrow(/longer than 50/);
    const last = Buffer.from(line(51));
    await expect(text(Readable.from([last.subarray(0, 40), last.subarray(40)]).pipe(new NdjsonToCopyText(['id'], 50)))).rejects.toThrow(/longer than 50/);
  });

  it('fails on what only looks like a row robusto writes', async () => {
    for (const line of [
      '{"id":"1"',
      '{"id":01}',
      '{"id":1,}',
      '{"id":nul}',
      '{"id":"1"}}',
      '{"id":"1" }x',
      '{"id":"1"}x',
      '{"id":-}',
      '{"id":-01}',
      '{"id":nnnn}',
      '{"id":tttt}',
      '{"id":fffff}',
      '{"id":"a\u0001b"}',
      `{"id":"${'a'.repeat(100)}\u0001"}`,
      '   ',
      '\uFEFF{"id":"1"}',
    ]) {
      await expect(text(Readable.from([Buffer.from(`${line}\n`)]).pipe(new NdjsonToCopyText(['id'], 4096))), line).rejects.toThrow(SyntaxError);
    }
  });

  it('fails on a string that a line leaves open, even with a quote further on in the chunk', async () => {
    await expect(text(Readable.from([Buffer.from('{"id":"1\n{"id":"2"}\n')]).pipe(new NdjsonToCopyText(['id'], 4096)))).rejects.toThrow(SyntaxError);
  });

  it('fails on bytes that are not UTF-8, on either path', async () => {
    for (const line of ['{"id":"', '{"id":"\\', '{"id":1,"x":"']) {
      const bytes = Buffer.concat([Buffer.from(line), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
      await expect(text(Readable.from([bytes]).pipe(new NdjsonToCopyText(['id'], 4096))), line).rejects.toThrow(/not valid/);
    }
  });

  it('gives NULL for a column a row lacks whatever its name, not what every object inherits', async () => {
    expect(await text(Readable.from([Buffer.from('{"a":1}\n{}\n')]).pipe(new NdjsonToCopyText(['constructor', 'toString', '__proto__'], 4096)))).toBe(
      '\\N\t\\N\t\\N\n\\N\t\\N\t\\N\n',
    );
  });
});
