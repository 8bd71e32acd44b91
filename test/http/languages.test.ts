// An API error is written in the reader's language: the same invalid request answered in English
// and in Brazilian Portuguese keeps its code, status, type and field paths, and only the human
// text (title, detail, each field's message) changes, named in Content-Language.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: Array<{ field: string; message: string; in?: string }>;
}

/** A student whose birth date is written the Brazilian way, whose CPF has a wrong check digit, and who has no plan. */
const BAD_STUDENT = { name: 'Ana Souza', birthDate: '15/03/2012', cpf: '529.982.247-26', guardianName: 'Maria Souza' };

/** Everything of a problem that must not depend on the language. */
function languageFree(problem: Problem) {
  return { type: problem.type, status: problem.status, code: problem.code, fields: (problem.errors ?? []).map((e) => `${e.in}:${e.field}`) };
}

/** The message a problem gives for one field. */
function messageFor(problem: Problem, field: string): string | undefined {
  return problem.errors?.find((e) => e.field === field)?.message;
}

describe.each(ENGINES)('errors in the reader’s language on %s', (engine) => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine });
    tenant = await createTenantWithUsers(t, 'idiomas');
  });
  afterAll(() => t.close());

  const ask = (c: Call, acceptLanguage?: string): Promise<LightMyRequestResponse> =>
    call(t, tenant, { ...c, headers: { ...c.headers, ...(acceptLanguage === undefined ? {} : { 'accept-language': acceptLanguage }) } });

  it('an invalid student gets the same code and fields in English and Portuguese, with human messages in each', async () => {
    const register: Call = { method: 'POST', url: '/api/students', body: BAD_STUDENT };
    const english = await ask(register, 'en-US,en;q=0.9');
    const portuguese = await ask(register, 'pt-BR,pt;q=0.9,en;q=0.8');
    for (const response of [english, portuguese]) {
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers.vary).toMatch(/Accept-Language/i);
    }
    expect(english.headers['content-language']).toBe('en');
    expect(portuguese.headers['content-language']).toBe('pt-BR');

    const en = english.json<Problem>();
    const pt = portuguese.json<Problem>();
    expect(languageFree(pt)).toEqual(languageFree(en));
    expect(en).toMatchObject({ code: 'ERR_VALIDATION', status: 400, type: 'urn:robusto:problem:validation' });
    expect([...languageFree(en).fields].sort()).toEqual(['body:/birthDate', 'body:/cpf', 'body:/plan']);

    expect(en.title).toBe('Invalid request');
    expect(pt.title).toBe('Requisição inválida');
    expect(en.detail).toBe('The request has 3 invalid fields; see errors[] for each one.');
    expect(pt.detail).toBe('A requisição tem 3 campos inválidos; veja errors[] para cada um.');
    expect(messageFor(en, '/birthDate')).toBe('invalid date: use YYYY-MM-DD, for example 2012-03-15');
    expect(messageFor(pt, '/birthDate')).toBe('data inválida: use AAAA-MM-DD, por exemplo 2012-03-15');
    expect(messageFor(en, '/cpf')).toBe('invalid CPF: check its check digits');
    expect(messageFor(pt, '/cpf')).toBe('CPF inválido: confira os dígitos verificadores');
    expect(messageFor(en, '/plan')).toBe('is required');
    expect(messageFor(pt, '/plan')).toBe('é obrigatório');
    for (const problem of [en, pt]) expect(JSON.stringify(problem)).not.toMatch(/must match format|real-date/);
  });

  it("the validator's generic messages (length, type, unknown field) come in Portuguese too", async () => {
    const register: Call = { method: 'POST', url: '/api/students', body: { name: 'x'.repeat(201), birthDate: 20120315, plan: 'Manhã', nickname: 'Aninha' } };
    const en = (await ask(register, 'en')).json<Problem>();
    const pt = (await ask(register, 'pt')).json<Problem>();
    expect(languageFree(pt)).toEqual(languageFree(en));
    expect(messageFor(en, '/name')).toBe('must NOT have more than 200 characters');
    expect(messageFor(pt, '/name')).toBe('não deve ser maior que 200 caracteres');
    expect(messageFor(en, '/birthDate')).toBe('must be string');
    expect(messageFor(pt, '/birthDate')).toBe('deve ser um texto');
    expect(messageFor(en, '/nickname')).toBe('is not an accepted field; remove it');
    expect(messageFor(pt, '/nickname')).toBe('não é um campo aceito; remova-o');
  });

  it("a module's own rule (a minor without a guardian) and a missing record answer in the language asked for", async () => {
    const minor: Call = { method: 'POST', url: '/api/students', body: { name: 'Bia', birthDate: '2020-01-01', plan: 'Manhã' } };
    const en = (await ask(minor, 'en')).json<Problem>();
    const pt = (await ask(minor, 'pt-PT')).json<Problem>();
    expect(languageFree(pt)).toEqual(languageFree(en));
    expect(en.detail).toBe('The student has 1 invalid field; see errors[] for each one.');
    expect(pt.detail).toBe('O aluno tem 1 campo inválido; veja errors[] para cada um.');
    expect(messageFor(en, '/guardianName')).toMatch(/^is required: the student is under 18 on the registration date \(\d{4}-\d{2}-\d{2}\)$/);
    expect(messageFor(pt, '/guardianName')).toMatch(/^é obrigatório: o aluno tem menos de 18 anos na data da matrícula \(\d{4}-\d{2}-\d{2}\)$/);

    const missing: Call = { method: 'GET', url: '/api/students/00000000-0000-4000-8000-000000000000' };
    const notFoundEn = await ask(missing);
    const notFoundPt = await ask(missing, 'pt-BR');
    expect(notFoundEn.json()).toMatchObject({
      code: 'ERR_STUDENT_NOT_FOUND',
      title: 'Student not found',
      detail: 'No student with id 00000000-0000-4000-8000-000000000000.',
    });
    expect(notFoundPt.json()).toMatchObject({
      code: 'ERR_STUDENT_NOT_FOUND',
      title: 'Aluno não encontrado',
      detail: 'Nenhum aluno com id 00000000-0000-4000-8000-000000000000.',
    });
  });

  it('no header, a language robusto lacks, or Portuguese ruled out by q=0 get English; Portuguese preferred by quality gets Portuguese', async () => {
    const anonymous: Call = { method: 'GET', url: '/api/students', as: 'anonymous' };
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'en'],
      ['fr-FR', 'en'],
      ['de-DE, ja;q=0.8', 'en'],
      ['pt-BR;q=0, en;q=0.1', 'en'],
      ['en;q=0.3, pt;q=0.7', 'pt-BR'],
    ];
    for (const [header, language] of cases) {
      const response = await ask(anonymous, header);
      expect(response.statusCode, String(header)).toBe(401);
      expect(response.headers['content-language'], String(header)).toBe(language);
      expect(response.json<Problem>().detail, String(header)).toBe(
        language === 'en'
          ? 'Sign in first: send Authorization: Bearer <token> from POST /api/auth/login.'
          : 'Entre primeiro: envie Authorization: Bearer <token> obtido em POST /api/auth/login.',
      );
    }
  });

  it('a problem raised before any route (an unknown route, malformed JSON) follows the language too', async () => {
    const unknown = await ask({ method: 'GET', url: '/api/nowhere' }, 'pt-BR');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({
      code: 'ERR_ROUTE_NOT_FOUND',
      title: 'Rota não encontrada',
      detail: 'Não existe a rota GET /api/nowhere. A API fica sob /api e está descrita em /docs.',
    });
    const malformed = await ask({ method: 'POST', url: '/api/students', raw: { payload: '{"name":', contentType: 'application/json' } }, 'pt-BR');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({
      code: 'ERR_MALFORMED_JSON',
      title: 'JSON malformado',
      detail: 'O corpo não é JSON válido; confira aspas, vírgulas e chaves.',
    });
    expect(malformed.headers['content-language']).toBe('pt-BR');
  });
});
