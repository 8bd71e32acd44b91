import { describe, expect, it } from 'vitest';
import { localeFromAcceptLanguage, localeFromEnvironment } from './locale.js';
import { countedText, meaningIn, render, t, text, titleIn } from './translate.js';

describe('t', () => {
  it('fills the placeholders of a text in the language asked for', () => {
    expect(t('en', 'students.notFound', { id: 'abc' })).toBe('No student with id abc.');
    expect(t('pt-BR', 'students.notFound', { id: 'abc' })).toBe('Nenhum aluno com id abc.');
    expect(t('pt-BR', 'format.real-date')).toBe('data inválida: use AAAA-MM-DD, por exemplo 2012-03-15');
  });

  it('writes numbers and instants as each language does', () => {
    expect(t('en', 'http.bodyTooLarge', { limit: 1048576 })).toContain('(1,048,576 bytes)');
    expect(t('pt-BR', 'http.bodyTooLarge', { limit: 1048576 })).toContain('(1.048.576 bytes)');
    expect(t('en', 'stock.insufficient', { code: 'L-1', available: 2.5, requested: 3 })).toMatch(/^Lot L-1 holds 2\.5, less than the 3 requested/);
    expect(t('pt-BR', 'stock.insufficient', { code: 'L-1', available: 2.5, requested: 3 })).toMatch(/^O lote L-1 tem 2,5, menos que os 3 pedidos/);
    // Four digits stay ungrouped (2000, not 2,000), as both languages write a year or a small limit.
    expect(t('en', 'field.tooManyMembers', { max: 2000 })).toBe('has more than 2000 fields and items');
    const instant = new Date(2012, 2, 15, 14, 30, 5);
    expect(t('pt-BR', 'writes.versionUnknown.upcasterFailed', { from: 1, to: 2, error: instant.toISOString() })).toContain('da versão 1 para a 2');
    expect(render('pt-BR', text('students.notFound', { id: instant }))).toBe('Nenhum aluno com id 15/03/2012, 14:30:05.');
    expect(render('en', text('students.notFound', { id: instant }))).toMatch(/^No student with id 3\/15\/12, 2:30:05\sPM\.$/);
  });

  it('picks the singular or plural wording by the count, and puts a text inside another', () => {
    expect(render('en', countedText('validation.invalidFields', 1))).toBe('The request has 1 invalid field; see errors[] for each one.');
    expect(render('en', countedText('validation.invalidFields', 3))).toBe('The request has 3 invalid fields; see errors[] for each one.');
    expect(render('pt-BR', countedText('validation.invalidFields', 1))).toBe('A requisição tem 1 campo inválido; veja errors[] para cada um.');
    expect(render('pt-BR', countedText('validation.invalidFields', 2))).toBe('A requisição tem 2 campos inválidos; veja errors[] para cada um.');
    const why = text('writes.replayForbidden.deactivated');
    expect(t('pt-BR', 'writes.replayForbidden', { user: 'ana@x', why, permission: 'write' })).toBe(
      'Não aplicada: o usuário que a enviou (ana@x) foi desativado depois de enviá-la. Ela exige a permissão "write".',
    );
  });

  it('shows a key no catalogue has as it is, and has no title for an unknown code', () => {
    expect(render('pt-BR', { key: 'invoices.custom', params: {} })).toBe('invoices.custom');
    expect(titleIn('pt-BR', 'ERR_STUDENT_NOT_FOUND')).toBe('Aluno não encontrado');
    expect(meaningIn('en', 'ERR_STUDENT_NOT_FOUND')).toBe("No student with this id in the caller's tenant.");
    expect(titleIn('en', 'ERR_INVOICE_LOST')).toBeUndefined();
  });
});

describe('localeFromAcceptLanguage', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['pt-BR', 'pt-BR'],
    ['pt', 'pt-BR'],
    ['pt-PT', 'pt-BR'],
    ['PT-br', 'pt-BR'],
    ['en-US,en;q=0.9', 'en'],
    ['fr-FR', 'en'],
    ['de, *;q=0.1', 'en'],
    ['fr-FR, pt;q=0.8, en;q=0.5', 'pt-BR'],
    ['en;q=0.4, pt-BR;q=0.9', 'pt-BR'],
    ['pt-BR;q=0.5, en;q=0.9', 'en'],
    ['pt-BR;q=0, en;q=0.1', 'en'],
    ['pt;q=0', 'en'],
    ['pt-BR, en', 'pt-BR'],
    ['en, pt-BR', 'en'],
    ['*', 'en'],
    ['pt-BR;q=garbage', 'pt-BR'],
    [';;;,,,', 'en'],
  ] as const)('%j → %s', (header, locale) => {
    expect(localeFromAcceptLanguage(header)).toBe(locale);
  });
});

describe('localeFromEnvironment', () => {
  it.each([
    [{}, 'en'],
    [{ LANG: 'pt_BR.UTF-8' }, 'pt-BR'],
    [{ LANG: 'pt_PT.UTF-8' }, 'pt-BR'],
    [{ LANG: 'en_US.UTF-8' }, 'en'],
    [{ LANG: 'C.UTF-8' }, 'en'],
    [{ LANG: 'de_DE.UTF-8' }, 'en'],
    [{ LC_MESSAGES: 'pt_BR.UTF-8', LANG: 'en_US.UTF-8' }, 'pt-BR'],
    [{ LC_ALL: 'C', LC_MESSAGES: 'pt_BR.UTF-8', LANG: 'pt_BR.UTF-8' }, 'en'],
    [{ LC_ALL: 'pt_BR.UTF-8', LANG: 'en_US.UTF-8' }, 'pt-BR'],
    [{ LC_ALL: '', LANG: 'pt_BR.UTF-8' }, 'pt-BR'],
  ] as const)('%j → %s', (env, locale) => {
    expect(localeFromEnvironment(env)).toBe(locale);
  });
});
