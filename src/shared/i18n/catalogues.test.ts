// The two catalogues say the same things: the same error codes, the same message keys, and in
// each message the same placeholders, so no text falls back or loses a value in one language.
import { describe, expect, it } from 'vitest';
import { en } from './en.js';
import { ptBR } from './pt-BR.js';
import type { Catalogue } from './catalogue.js';

/** The `{names}` a text fills in, sorted. */
function placeholdersOf(text: string): string[] {
  return [...text.matchAll(/\{([A-Za-z0-9]+)\}/g)].map((match) => match[1] as string).sort();
}

/** Every difference between two catalogues' keys and placeholders, one line each (none when they agree). */
function differences(a: Catalogue, b: Catalogue): string[] {
  const found: string[] = [];
  const sameKeys = (where: string, left: object, right: object) => {
    for (const key of Object.keys(left)) if (!Object.hasOwn(right, key)) found.push(`${where}.${key} only in the first`);
    for (const key of Object.keys(right)) if (!Object.hasOwn(left, key)) found.push(`${where}.${key} only in the second`);
  };
  sameKeys('codes', a.codes, b.codes);
  sameKeys('messages', a.messages, b.messages);
  const left = a.messages as Record<string, string>;
  const right = b.messages as Record<string, string>;
  for (const [key, text] of Object.entries(left)) {
    const other = right[key];
    if (other !== undefined && placeholdersOf(text).join() !== placeholdersOf(other).join()) {
      found.push(`messages.${key}: {${placeholdersOf(text).join('}, {')}} against {${placeholdersOf(other).join('}, {')}}`);
    }
  }
  for (const [code, entry] of Object.entries(a.codes)) {
    if (!entry.title || !entry.meaning) found.push(`codes.${code} has an empty title or meaning in the first`);
  }
  for (const [code, entry] of Object.entries(b.codes)) {
    if (!entry.title || !entry.meaning) found.push(`codes.${code} has an empty title or meaning in the second`);
  }
  return found;
}

describe('the catalogues', () => {
  it('English and Brazilian Portuguese have exactly the same keys, and each message the same placeholders', () => {
    expect(differences(en, ptBR)).toEqual([]);
  });

  it('a key missing from one, an extra one, or a placeholder that differs is each found', () => {
    const { 'format.cpf': _dropped, ...fewerMessages } = ptBR.messages;
    const withoutOne = { ...ptBR, messages: fewerMessages } as unknown as Catalogue;
    expect(differences(en, withoutOne)).toEqual(['messages.format.cpf only in the first']);
    const renamed = { ...ptBR, messages: { ...ptBR.messages, 'students.notFound': 'Nenhum aluno com id {identificador}.' } };
    expect(differences(en, renamed)).toEqual(['messages.students.notFound: {id} against {identificador}']);
    const { ERR_VALIDATION: _code, ...fewerCodes } = ptBR.codes;
    expect(differences(en, { ...ptBR, codes: fewerCodes } as unknown as Catalogue)).toEqual(['codes.ERR_VALIDATION only in the first']);
  });

  it('the Portuguese texts are translations, not copies of the English ones (but for words both languages use)', () => {
    const sameInBoth = new Set(['restart.phase.backup', 'restart.find.found', 'report.backup', 'report.ok', 'doctor.name.node', 'backup.problem.table']);
    const copied = Object.entries(en.messages).filter(([key, text]) => !sameInBoth.has(key) && (ptBR.messages as Record<string, string>)[key] === text);
    expect(copied).toEqual([]);
  });
});
