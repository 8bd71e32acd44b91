import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithUsers, type TestTenant } from '../../../test/support/auth.js';
import { call, expectScenario, type Call, type Scenario } from '../../../test/support/api.js';
import { buildTestApp, type TestApp } from '../../../test/support/build-app.js';
import { ENGINES } from '../../../test/support/test-database.js';
import { encodeCursor } from '../../shared/cursor.js';
import { checkStudent, isMinorOn } from './students.commands.js';

/** A valid CPF (11 digits) made from a 9-digit base by computing its check digits. */
function cpf(base: number): string {
  const digits = String(base).padStart(9, '0').split('').map(Number);
  const check = (ds: number[]) => {
    const rest = ds.reduce((sum, d, i) => sum + d * (ds.length + 1 - i), 0) % 11;
    return rest < 2 ? 0 : 11 - rest;
  };
  digits.push(check(digits));
  digits.push(check(digits));
  return digits.join('');
}

/** The UTC calendar day `years` years and `days` days before now, `YYYY-MM-DD`. */
function daysAgo(days: number, years = 0): string {
  const date = new Date();
  date.setUTCFullYear(date.getUTCFullYear() - years);
  date.setUTCDate(date.getUTCDate() - days);
  return date.toISOString().slice(0, 10);
}

const ADULT = daysAgo(0, 30);
const MINOR = daysAgo(0, 10);
const valid = { name: 'Ana Souza', cpf: '529.982.247-25', birthDate: '1990-04-12', phone: '(11) 98765-4321', email: 'Ana@Example.com', plan: 'Natação manhã' };
const STUDENT_KEYS = ['birthDate', 'cpf', 'createdAt', 'email', 'guardianName', 'id', 'name', 'phone', 'plan', 'status'];

type Page = { items: Array<{ id: string; name: string; status: string; createdAt: string }>; nextCursor: string | null };

describe('the guardian rule, as a pure function', () => {
  it.each([
    ['2008-03-01', '2026-02-28', true],
    ['2008-03-01', '2026-03-01', false],
    ['2008-02-29', '2026-02-28', true],
    ['2008-02-29', '2026-03-01', false],
    ['2000-12-31', '2018-12-30', true],
    ['2000-12-31', '2018-12-31', false],
  ])('born %s, on %s: minor %s', (birthDate, day, minor) => {
    expect(isMinorOn(birthDate, day)).toBe(minor);
  });

  it('lists each broken field, and a minor needs a guardian only if the birth date itself is fine', () => {
    const fieldsOf = (facts: { birthDate: string; guardianName: string | null }, today: string, registeredOn: string) => {
      try {
        checkStudent(facts, today, registeredOn);
        return [];
      } catch (error) {
        return (error as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
      }
    };
    expect(fieldsOf({ birthDate: '2010-01-01', guardianName: null }, '2026-01-01', '2026-01-01')).toEqual(['/guardianName']);
    expect(fieldsOf({ birthDate: '2010-01-01', guardianName: 'Mãe' }, '2026-01-01', '2026-01-01')).toEqual([]);
    expect(fieldsOf({ birthDate: '2026-01-02', guardianName: null }, '2026-01-01', '2026-01-01')).toEqual(['/birthDate']);
    expect(fieldsOf({ birthDate: '1899-12-31', guardianName: null }, '2026-01-01', '2026-01-01')).toEqual(['/birthDate']);
    expect(fieldsOf({ birthDate: '1900-01-01', guardianName: null }, '2026-01-01', '2026-01-01')).toEqual([]);
    expect(fieldsOf({ birthDate: '2026-01-01', guardianName: 'Pai' }, '2026-01-01', '2026-01-01')).toEqual([]);
    // An adult now who was a minor when registered still needs the guardian on record.
    expect(fieldsOf({ birthDate: '2005-06-01', guardianName: null }, '2026-01-01', '2020-01-01')).toEqual(['/guardianName']);
  });
});

describe.each(ENGINES)('students on %s', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let anaId: string;

  const register = async (tenant: TestTenant, body: Record<string, unknown>, as: Call['as'] = 'staff') => {
    const response = await call(t, tenant, { method: 'POST', url: '/api/students', body: { plan: 'Judô', birthDate: ADULT, ...body }, as });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; name: string; status: string; createdAt: string };
  };
  const auditRowsOf = (entityId: string) =>
    t.app.db.kysely.selectFrom('audit_log').selectAll().where('entity_id', '=', entityId).orderBy('created_at').orderBy('id').execute();

  beforeAll(async () => {
    t = await buildTestApp({ engine });
    [a, b] = await Promise.all([createTenantWithUsers(t, 'a'), createTenantWithUsers(t, 'b')]);
    const created = await call(t, a, { method: 'POST', url: '/api/students', body: valid, as: 'staff' });
    expect(created.statusCode, created.body).toBe(201);
    anaId = created.json().id;
  });
  afterAll(() => t.close());

  it('registers a student: active, CPF stored as digits and shown formatted, email lower-cased, one audit row', async () => {
    const response = await call(t, a, { method: 'GET', url: `/api/students/${anaId}`, as: 'viewer' });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json()).sort()).toEqual(STUDENT_KEYS);
    expect(response.json()).toMatchObject({
      id: anaId,
      name: 'Ana Souza',
      cpf: '529.982.247-25',
      birthDate: '1990-04-12',
      phone: '(11) 98765-4321',
      email: 'ana@example.com',
      guardianName: null,
      plan: 'Natação manhã',
      status: 'active',
    });
    expect(Date.parse(response.json().createdAt)).not.toBeNaN();
    const stored = await t.app.db.kysely.selectFrom('students').select(['cpf', 'tenant_id', 'birth_date']).where('id', '=', anaId).executeTakeFirstOrThrow();
    expect(stored).toEqual({ cpf: '52998224725', tenant_id: a.id, birth_date: '1990-04-12' });
    expect(await auditRowsOf(anaId)).toMatchObject([{ action: 'students.register', entity: 'student', tenant_id: a.id, user_id: a.userIds.staff }]);
  });

  const tomorrow = daysAgo(-1);
  const scenarios = (): Scenario[] => [
    // registration: the happy paths
    { name: 'adult, every field', method: 'POST', url: '/api/students', body: { ...valid, cpf: cpf(111444777), email: 'b@b.com' }, status: 201 },
    {
      name: 'minor with a guardian',
      method: 'POST',
      url: '/api/students',
      body: { name: 'Pedro', birthDate: MINOR, guardianName: 'Maria', plan: 'Judô infantil' },
      status: 201,
    },
    {
      name: 'adult, only what is required',
      method: 'POST',
      url: '/api/students',
      body: { name: 'Só o básico', birthDate: ADULT, plan: 'Pilates' },
      status: 201,
    },
    {
      name: 'born today (with a guardian)',
      method: 'POST',
      url: '/api/students',
      body: { name: 'Bebê', birthDate: daysAgo(0), guardianName: 'Mãe', plan: 'Bebê' },
      status: 201,
    },
    { name: 'born 1900-01-01', method: 'POST', url: '/api/students', body: { name: 'Matusalém', birthDate: '1900-01-01', plan: 'Hidro' }, status: 201 },
    // registration: each bad input
    { name: 'same CPF', method: 'POST', url: '/api/students', body: { ...valid, name: 'Other' }, status: 409, code: 'ERR_STUDENT_CPF_TAKEN' },
    {
      name: 'same CPF, other punctuation',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: '52998224725' },
      status: 409,
      code: 'ERR_STUDENT_CPF_TAKEN',
    },
    {
      name: 'invalid CPF check digits',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: '529.982.247-24' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cpf'],
    },
    {
      name: 'CPF of one repeated digit',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: '111.111.111-11' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cpf'],
    },
    { name: 'CPF too short', method: 'POST', url: '/api/students', body: { ...valid, cpf: '5299822' }, status: 400, code: 'ERR_VALIDATION', fields: ['/cpf'] },
    {
      name: 'CPF null on registration',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: null },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cpf'],
    },
    {
      name: 'missing name, birth date and plan',
      method: 'POST',
      url: '/api/students',
      body: {},
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name', '/birthDate', '/plan'],
    },
    {
      name: 'unknown field',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, tenantId: b.id },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/tenantId'],
    },
    {
      name: 'status is not set by the client',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, status: 'inactive' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/status'],
    },
    {
      name: 'wrong types',
      method: 'POST',
      url: '/api/students',
      body: { name: 42, cpf: 52998224725, birthDate: 19900412, plan: true, phone: 11987654321, guardianName: ['x'] },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name', '/cpf', '/birthDate', '/plan', '/phone', '/guardianName'],
    },
    { name: 'body is an array', method: 'POST', url: '/api/students', body: [valid], status: 400, code: 'ERR_VALIDATION' },
    {
      name: 'name over 200',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, name: 'x'.repeat(201) },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name'],
    },
    {
      name: 'plan over 100',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, plan: 'x'.repeat(101) },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/plan'],
    },
    {
      name: 'guardian over 200',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, guardianName: 'x'.repeat(201) },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/guardianName'],
    },
    {
      name: 'email over 254',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, email: `${'x'.repeat(64)}@${'y'.repeat(63)}.${'z'.repeat(63)}.${'w'.repeat(63)}.com` },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/email'],
    },
    {
      name: 'phone over 20',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, phone: '1'.repeat(21) },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/phone'],
    },
    {
      name: 'empty name',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, name: '' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name'],
    },
    {
      name: 'blank name',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, name: '   ' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name'],
    },
    {
      name: 'NUL in the name',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, name: 'Ana\u0000' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name'],
    },
    {
      name: 'bad email',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, email: 'not-an-email' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/email'],
    },
    {
      name: 'letters in the phone',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, phone: 'call me maybe' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/phone'],
    },
    {
      name: 'date that does not exist',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, birthDate: '2026-02-30' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/birthDate'],
    },
    {
      name: '29 February of a common year',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, birthDate: '2023-02-29' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/birthDate'],
    },
    {
      name: 'month 13',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, birthDate: '2010-13-01' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/birthDate'],
    },
    {
      name: 'Brazilian date format',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, birthDate: '12/04/1990' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/birthDate'],
    },
    {
      name: 'date-time instead of a date',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, birthDate: '1990-04-12T00:00:00Z' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/birthDate'],
    },
    {
      name: 'born tomorrow',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, birthDate: tomorrow, guardianName: 'Mãe' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/birthDate'],
    },
    {
      name: 'born in 3000',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, birthDate: '3000-01-01' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/birthDate'],
    },
    {
      name: 'born before 1900',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined, birthDate: '1899-12-31' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/birthDate'],
    },
    {
      name: 'minor without a guardian',
      method: 'POST',
      url: '/api/students',
      body: { name: 'Lia', birthDate: MINOR, plan: 'Balé' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/guardianName'],
    },
    {
      name: 'minor with a null guardian',
      method: 'POST',
      url: '/api/students',
      body: { name: 'Lia', birthDate: MINOR, plan: 'Balé', guardianName: null },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/guardianName'],
    },
    {
      name: 'minor, 17 and 364 days old',
      method: 'POST',
      url: '/api/students',
      body: { name: 'Quase', birthDate: daysAgo(-1, 18), plan: 'Balé' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/guardianName'],
    },
    {
      name: 'minor with a blank guardian',
      method: 'POST',
      url: '/api/students',
      body: { name: 'Lia', birthDate: MINOR, plan: 'Balé', guardianName: '  ' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/guardianName'],
    },
    {
      name: 'malformed JSON',
      method: 'POST',
      url: '/api/students',
      raw: { payload: '{"name":', contentType: 'application/json' },
      status: 400,
      code: 'ERR_MALFORMED_JSON',
    },
    {
      name: 'empty JSON body',
      method: 'POST',
      url: '/api/students',
      raw: { payload: '', contentType: 'application/json' },
      status: 400,
      code: 'ERR_MALFORMED_JSON',
    },
    {
      name: 'not JSON',
      method: 'POST',
      url: '/api/students',
      raw: { payload: 'name=Ana', contentType: 'text/plain' },
      status: 415,
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a form',
      method: 'POST',
      url: '/api/students',
      raw: { payload: 'name=Ana', contentType: 'application/x-www-form-urlencoded' },
      status: 415,
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'over 1 MiB',
      method: 'POST',
      url: '/api/students',
      raw: { payload: JSON.stringify({ ...valid, plan: 'y'.repeat(1_100_000) }), contentType: 'application/json' },
      status: 413,
      code: 'ERR_BODY_TOO_LARGE',
    },
    {
      name: 'bad Idempotency-Key',
      method: 'POST',
      url: '/api/students',
      body: { ...valid, cpf: undefined },
      headers: { 'idempotency-key': 'with space' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/idempotency-key'],
    },
    // one student
    { name: 'id not a uuid', method: 'GET', url: '/api/students/123', status: 400, code: 'ERR_VALIDATION', fields: ['/id'] },
    { name: 'id as a urn', method: 'GET', url: `/api/students/urn:uuid:${randomUUID()}`, status: 400, code: 'ERR_VALIDATION', fields: ['/id'] },
    { name: 'unknown id', method: 'GET', url: `/api/students/${randomUUID()}`, status: 404, code: 'ERR_STUDENT_NOT_FOUND' },
    { name: 'id in capitals', method: 'GET', url: `/api/students/${anaId.toUpperCase()}`, status: 200 },
    { name: 'PATCH id in capitals', method: 'PATCH', url: `/api/students/${anaId.toUpperCase()}`, body: { plan: 'Natação manhã' }, status: 200 },
    // the list
    { name: 'limit 0', method: 'GET', url: '/api/students?limit=0', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'limit 101', method: 'GET', url: '/api/students?limit=101', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'limit not a number', method: 'GET', url: '/api/students?limit=ten', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'limit 100', method: 'GET', url: '/api/students?limit=100', status: 200 },
    { name: 'malformed cursor', method: 'GET', url: '/api/students?cursor=!!notacursor', status: 400, code: 'ERR_VALIDATION', fields: ['/cursor'] },
    {
      name: 'forged cursor',
      method: 'GET',
      url: `/api/students?cursor=${encodeCursor({ value: 'yesterday', id: 'x' })}`,
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cursor'],
    },
    {
      name: 'cursor of another sort',
      method: 'GET',
      url: `/api/students?sort=createdAt&cursor=${encodeCursor({ value: 'ana souza', id: randomUUID() })}`,
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cursor'],
    },
    { name: 'cursor too long', method: 'GET', url: `/api/students?cursor=${'a'.repeat(513)}`, status: 400, code: 'ERR_VALIDATION', fields: ['/cursor'] },
    { name: 'unknown sort', method: 'GET', url: '/api/students?sort=age', status: 400, code: 'ERR_VALIDATION' },
    { name: 'unknown status', method: 'GET', url: '/api/students?status=deleted', status: 400, code: 'ERR_VALIDATION' },
    { name: 'unknown query param', method: 'GET', url: '/api/students?tenant=b', status: 400, code: 'ERR_VALIDATION' },
    { name: 'q over 100', method: 'GET', url: `/api/students?q=${'x'.repeat(101)}`, status: 400, code: 'ERR_VALIDATION', fields: ['/q'] },
    { name: 'NUL in q', method: 'GET', url: '/api/students?q=a%00b', status: 400, code: 'ERR_VALIDATION', fields: ['/q'] },
    // changes
    { name: 'PATCH unknown id', method: 'PATCH', url: `/api/students/${randomUUID()}`, body: { plan: 'X' }, status: 404, code: 'ERR_STUDENT_NOT_FOUND' },
    { name: 'PATCH id not a uuid', method: 'PATCH', url: '/api/students/123', body: { plan: 'X' }, status: 400, code: 'ERR_VALIDATION', fields: ['/id'] },
    { name: 'PATCH nothing', method: 'PATCH', url: `/api/students/${anaId}`, body: {}, status: 400, code: 'ERR_VALIDATION' },
    {
      name: 'PATCH the status',
      method: 'PATCH',
      url: `/api/students/${anaId}`,
      body: { status: 'inactive' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/status'],
    },
    {
      name: 'PATCH wrong types',
      method: 'PATCH',
      url: `/api/students/${anaId}`,
      body: { name: null, plan: 7, birthDate: null },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name', '/plan', '/birthDate'],
    },
    {
      name: 'PATCH invalid CPF',
      method: 'PATCH',
      url: `/api/students/${anaId}`,
      body: { cpf: '123.456.789-00' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cpf'],
    },
    {
      name: 'PATCH future birth date',
      method: 'PATCH',
      url: `/api/students/${anaId}`,
      body: { birthDate: tomorrow },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/birthDate'],
    },
    {
      name: 'PATCH to a minor without guardian',
      method: 'PATCH',
      url: `/api/students/${anaId}`,
      body: { birthDate: MINOR },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/guardianName'],
    },
    {
      name: 'PATCH name over 200',
      method: 'PATCH',
      url: `/api/students/${anaId}`,
      body: { name: 'x'.repeat(201) },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name'],
    },
    {
      name: 'PATCH not JSON',
      method: 'PATCH',
      url: `/api/students/${anaId}`,
      raw: { payload: 'plan=X', contentType: 'text/plain' },
      status: 415,
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'PATCH over 1 MiB',
      method: 'PATCH',
      url: `/api/students/${anaId}`,
      raw: { payload: JSON.stringify({ plan: 'y'.repeat(1_100_000) }), contentType: 'application/json' },
      status: 413,
      code: 'ERR_BODY_TOO_LARGE',
    },
    { name: 'deactivate unknown id', method: 'POST', url: `/api/students/${randomUUID()}/deactivate`, status: 404, code: 'ERR_STUDENT_NOT_FOUND' },
    { name: 'deactivate id not a uuid', method: 'POST', url: '/api/students/abc/deactivate', status: 400, code: 'ERR_VALIDATION', fields: ['/id'] },
    { name: 'DELETE is not a route', method: 'DELETE', url: `/api/students/${anaId}`, status: 404, code: 'ERR_ROUTE_NOT_FOUND' },
    // who may ask
    { name: 'no token', method: 'GET', url: '/api/students', as: 'anonymous', status: 401, code: 'ERR_AUTH_REQUIRED' },
    {
      name: 'bad token',
      method: 'POST',
      url: '/api/students',
      body: valid,
      as: 'anonymous',
      headers: { authorization: 'Bearer abc.def.ghi' },
      status: 401,
      code: 'ERR_AUTH_TOKEN_INVALID',
    },
  ];

  it('answers each scenario with its status and code, and a rejected write changes nothing', async () => {
    const before = await t.app.db.kysely
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', a.id)
      .executeTakeFirstOrThrow();
    let accepted = 0;
    for (const scenario of scenarios()) {
      await expectScenario(t, a, scenario, expect);
      if (scenario.method !== 'GET' && scenario.status < 300) accepted++;
    }
    const after = await t.app.db.kysely
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(Number(after.n) - Number(before.n)).toBe(accepted);
    const ana = await call(t, a, { method: 'GET', url: `/api/students/${anaId}` });
    expect(ana.json()).toMatchObject({ name: 'Ana Souza', birthDate: '1990-04-12', status: 'active', plan: 'Natação manhã' });
  });

  it.each([
    ['viewer', 'POST', 403],
    ['staff', 'POST', 201],
    ['admin', 'POST', 201],
    ['owner', 'POST', 201],
    ['viewer', 'PATCH', 403],
    ['staff', 'PATCH', 200],
    ['admin', 'PATCH', 200],
    ['owner', 'PATCH', 200],
    ['viewer', 'deactivate', 403],
    ['staff', 'deactivate', 200],
    ['admin', 'deactivate', 200],
    ['owner', 'deactivate', 200],
  ] as const)('role %s %s → %i', async (role, write, status) => {
    const { id } = await register(a, { name: `Role ${role} ${write}` }, 'owner');
    const c: Call =
      write === 'POST'
        ? { method: 'POST', url: '/api/students', body: { name: 'By role', birthDate: ADULT, plan: 'Yoga' } }
        : write === 'PATCH'
          ? { method: 'PATCH', url: `/api/students/${id}`, body: { plan: 'Yoga avançado' } }
          : { method: 'POST', url: `/api/students/${id}/deactivate` };
    const response = await call(t, a, { ...c, as: role });
    expect(response.statusCode, response.body).toBe(status);
    if (status === 403) {
      expect(response.json()).toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', permission: 'write' });
      expect((await call(t, a, { method: 'GET', url: `/api/students/${id}`, as: role })).json()).toMatchObject({ status: 'active', plan: 'Judô' });
    }
  });

  it.each(['viewer', 'staff', 'admin', 'owner'] as const)('role %s may read the list and one student', async (role) => {
    expect((await call(t, a, { method: 'GET', url: '/api/students?limit=1', as: role })).statusCode).toBe(200);
    expect((await call(t, a, { method: 'GET', url: `/api/students/${anaId}`, as: role })).statusCode).toBe(200);
  });

  it('tenant isolation: tenant B using tenant A ids gets 404, and lists and searches never show A rows', async () => {
    const aIds = new Set((await t.app.db.kysely.selectFrom('students').select('id').where('tenant_id', '=', a.id).execute()).map((r) => r.id));
    const anaBefore = { student: (await call(t, a, { method: 'GET', url: `/api/students/${anaId}` })).json(), audit: await auditRowsOf(anaId) };
    const table: Array<Call & { expected: 404 | 'no A rows' }> = [
      { method: 'GET', url: `/api/students/${anaId}`, expected: 404 },
      { method: 'PATCH', url: `/api/students/${anaId}`, body: { name: 'Hijacked' }, expected: 404 },
      { method: 'POST', url: `/api/students/${anaId}/deactivate`, expected: 404 },
      { method: 'GET', url: '/api/students?limit=100', expected: 'no A rows' },
      { method: 'GET', url: '/api/students?limit=100&sort=name', expected: 'no A rows' },
      { method: 'GET', url: '/api/students?q=529982', expected: 'no A rows' },
      { method: 'GET', url: '/api/students?q=ana', expected: 'no A rows' },
      { method: 'GET', url: '/api/students?q=example.com', expected: 'no A rows' },
      { method: 'GET', url: '/api/students?status=active&limit=100', expected: 'no A rows' },
    ];
    for (const { expected, ...c } of table) {
      for (const role of ['staff', 'owner'] as const) {
        const response = await call(t, b, { ...c, as: role });
        if (expected === 404) {
          expect(response.statusCode, `${c.method} ${c.url}`).toBe(404);
          expect(response.json().code).toBe('ERR_STUDENT_NOT_FOUND');
        } else {
          expect(response.statusCode, `${c.method} ${c.url}`).toBe(200);
          expect(
            (response.json() as Page).items.filter((s) => aIds.has(s.id)),
            `${c.method} ${c.url}`,
          ).toEqual([]);
        }
      }
    }
    // A's cursor in B's hands pages B's rows only
    const aPage = (await call(t, a, { method: 'GET', url: '/api/students?limit=1' })).json() as Page;
    const bWithACursor = (await call(t, b, { method: 'GET', url: `/api/students?limit=100&cursor=${aPage.nextCursor}` })).json() as Page;
    expect(bWithACursor.items.filter((s) => aIds.has(s.id))).toEqual([]);
    // the same CPF may exist in another tenant, and A's student is untouched
    expect((await call(t, b, { method: 'POST', url: '/api/students', body: valid })).statusCode).toBe(201);
    expect((await call(t, a, { method: 'GET', url: `/api/students/${anaId}` })).json()).toEqual(anaBefore.student);
    expect(await auditRowsOf(anaId)).toEqual(anaBefore.audit);
  });

  it('every write appends exactly one audit row: tenant, user, action, entity, entity id, request id', async () => {
    const write = async (c: Call, requestId: string) => {
      const response = await call(t, a, { ...c, headers: { 'x-request-id': requestId } });
      expect(response.statusCode, response.body).toBeLessThan(300);
      expect(response.headers['x-request-id']).toBe(requestId);
      return response.json() as { id: string };
    };
    const { id } = await write(
      { method: 'POST', url: '/api/students', body: { name: 'Audited', birthDate: MINOR, guardianName: 'Guardião', plan: 'Judô' }, as: 'staff' },
      'req-register',
    );
    await write({ method: 'PATCH', url: `/api/students/${id}`, body: { plan: 'Judô avançado' }, as: 'admin' }, 'req-update');
    await write({ method: 'POST', url: `/api/students/${id}/deactivate`, as: 'owner' }, 'req-deactivate-1');
    await write({ method: 'POST', url: `/api/students/${id}/deactivate`, as: 'staff' }, 'req-deactivate-2');
    // rejected writes leave no row
    expect((await call(t, a, { method: 'PATCH', url: `/api/students/${id}`, body: { guardianName: null } })).statusCode).toBe(400);
    expect((await call(t, a, { method: 'PATCH', url: `/api/students/${id}`, body: { cpf: valid.cpf } })).statusCode).toBe(409);

    const rows = await auditRowsOf(id);
    expect(
      rows.map((r) => ({ tenant: r.tenant_id, user: r.user_id, action: r.action, entity: r.entity, entityId: r.entity_id, requestId: r.request_id })),
    ).toEqual([
      { tenant: a.id, user: a.userIds.staff, action: 'students.register', entity: 'student', entityId: id, requestId: 'req-register' },
      { tenant: a.id, user: a.userIds.admin, action: 'students.update', entity: 'student', entityId: id, requestId: 'req-update' },
      { tenant: a.id, user: a.userIds.owner, action: 'students.deactivate', entity: 'student', entityId: id, requestId: 'req-deactivate-1' },
      { tenant: a.id, user: a.userIds.staff, action: 'students.deactivate', entity: 'student', entityId: id, requestId: 'req-deactivate-2' },
    ]);
    // the same rows through the API, newest first
    const viaApi = (await call(t, a, { method: 'GET', url: '/api/audit?entity=student&limit=100', as: 'admin' })).json() as {
      items: Array<Record<string, unknown>>;
    };
    expect(viaApi.items.filter((e) => e.entityId === id).map((e) => [e.action, e.userId, e.requestId])).toEqual([
      ['students.deactivate', a.userIds.staff, 'req-deactivate-2'],
      ['students.deactivate', a.userIds.owner, 'req-deactivate-1'],
      ['students.update', a.userIds.admin, 'req-update'],
      ['students.register', a.userIds.staff, 'req-register'],
    ]);
  });

  it('deactivates idempotently: an inactive student answers 200 and stays as it was', async () => {
    const { id } = await register(a, { name: 'Desistente' });
    const first = await call(t, a, { method: 'POST', url: `/api/students/${id}/deactivate` });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ id, status: 'inactive', name: 'Desistente' });
    const updatedAt = async () => (await t.app.db.kysely.selectFrom('students').select('updated_at').where('id', '=', id).executeTakeFirstOrThrow()).updated_at;
    const stamp = await updatedAt();
    const again = await call(t, a, { method: 'POST', url: `/api/students/${id}/deactivate` });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(await updatedAt()).toBe(stamp);
    // other fields still change, and the status stays
    const changed = await call(t, a, { method: 'PATCH', url: `/api/students/${id}`, body: { plan: 'Volta em março' } });
    expect(changed.json()).toMatchObject({ status: 'inactive', plan: 'Volta em março' });
  });

  it('updates any field but the status; null clears; the guardian rule is checked on the result', async () => {
    const { id } = await register(a, {
      name: 'Bruno Lima',
      cpf: cpf(987654321),
      phone: '11 3333-4444',
      email: 'bruno@lima.com',
      guardianName: 'Pai',
      birthDate: MINOR,
    });
    const cleared = await call(t, a, { method: 'PATCH', url: `/api/students/${id}`, body: { cpf: null, phone: null, email: null } });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json()).toMatchObject({ id, cpf: null, phone: null, email: null, guardianName: 'Pai', status: 'active' });
    const renamed = await call(t, a, {
      method: 'PATCH',
      url: `/api/students/${id}`,
      body: { name: '  Bruno Lima Jr  ', cpf: cpf(987654322).replace(/^(\d{3})(\d{3})(\d{3})/, '$1.$2.$3-'), email: 'BRUNO@jr.com' },
    });
    expect(renamed.json()).toMatchObject({
      name: 'Bruno Lima Jr',
      cpf: cpf(987654322).replace(/^(\d{3})(\d{3})(\d{3})(\d{2})$/, '$1.$2.$3-$4'),
      email: 'bruno@jr.com',
    });
    // a minor keeps the guardian
    const noGuardian = await call(t, a, { method: 'PATCH', url: `/api/students/${id}`, body: { guardianName: null } });
    expect(noGuardian.statusCode).toBe(400);
    expect(noGuardian.json().errors).toEqual([expect.objectContaining({ in: 'body', field: '/guardianName' })]);
    // an adult on the registration date needs none: fixing the birth date and the guardian at once is fine
    const fixed = await call(t, a, { method: 'PATCH', url: `/api/students/${id}`, body: { birthDate: ADULT, guardianName: null } });
    expect(fixed.statusCode, fixed.body).toBe(200);
    expect(fixed.json()).toMatchObject({ birthDate: ADULT, guardianName: null });
    // another student's CPF
    const taken = await call(t, a, { method: 'PATCH', url: `/api/students/${id}`, body: { cpf: valid.cpf } });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('ERR_STUDENT_CPF_TAKEN');
    const stored = await call(t, a, { method: 'GET', url: `/api/students/${id}` });
    expect(stored.json()).toEqual(fixed.json());
  });

  it('concurrent changes apply one after the other: no minor is left without a guardian', async () => {
    for (let round = 0; round < 5; round++) {
      const { id } = await register(a, { name: `Corrida ${round}`, guardianName: 'Tia' });
      const results = await Promise.all([
        call(t, a, { method: 'PATCH', url: `/api/students/${id}`, body: { guardianName: null } }),
        call(t, a, { method: 'PATCH', url: `/api/students/${id}`, body: { birthDate: MINOR } }),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400]);
      const final = (await call(t, a, { method: 'GET', url: `/api/students/${id}` })).json();
      expect(final.birthDate === MINOR && final.guardianName === null).toBe(false);
    }
  });

  it('searches by name (case and accents ignored), CPF digits and email; filters by status', async () => {
    const jose = await register(b, { name: 'José Ávila', email: 'jose@avila.com.br', cpf: cpf(123123123) });
    const other = await register(b, { name: 'Joana 100%_done', email: 'joana@x.com' });
    const ids = async (url: string) => ((await call(t, b, { method: 'GET', url })).json() as Page).items.map((s) => s.id);
    expect(await ids('/api/students?q=JOSE%20avila')).toEqual([jose.id]);
    expect(await ids(`/api/students?q=${cpf(123123123).slice(0, 6)}`)).toEqual([jose.id]);
    expect(await ids(`/api/students?q=${cpf(123123123).replace(/^(\d{3})(\d{3})/, '$1.$2.')}`)).toEqual([jose.id]);
    expect(await ids('/api/students?q=avila.com')).toEqual([jose.id]);
    // LIKE wildcards are searched for literally
    expect(await ids('/api/students?q=%25')).toEqual([other.id]);
    expect(await ids('/api/students?q=0%25_d')).toEqual([other.id]);
    expect(await ids('/api/students?q=j_s')).toEqual([]);
    await call(t, b, { method: 'POST', url: `/api/students/${other.id}/deactivate` });
    expect(await ids('/api/students?q=jo&status=inactive')).toEqual([other.id]);
    expect(await ids('/api/students?q=jo&status=active')).toEqual([jose.id]);
  });

  it('lists newest first by default and pages with a keyset cursor without skipping or repeating, in each sort order', async () => {
    for (let i = 0; i < 7; i++) await register(b, { name: `Page ${i % 3} ${i}` });
    const inDb = await t.app.db.kysely
      .selectFrom('students')
      .select('id')
      .where('tenant_id', '=', b.id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    const defaultOrder = ((await call(t, b, { method: 'GET', url: '/api/students?limit=100' })).json() as Page).items.map((s) => s.id);
    expect(defaultOrder).toEqual(inDb.map((r) => r.id));
    expect(((await call(t, b, { method: 'GET', url: '/api/students' })).json() as Page).items.length).toBe(Math.min(20, inDb.length));
    for (const query of ['sort=name', 'sort=-name', 'sort=createdAt', 'sort=-createdAt', 'status=active', 'q=page&sort=name']) {
      const all = ((await call(t, b, { method: 'GET', url: `/api/students?limit=100&${query}` })).json() as Page).items.map((s) => s.id);
      expect(all.length, query).toBeGreaterThan(3);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = (await call(t, b, { method: 'GET', url: `/api/students?limit=3&${query}${cursor ? `&cursor=${cursor}` : ''}` })).json();
        expect(page.items.length).toBeLessThanOrEqual(3);
        paged.push(...page.items.map((s) => s.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged, query).toEqual(all);
      expect(new Set(paged).size).toBe(all.length);
    }
    const byName = ((await call(t, b, { method: 'GET', url: '/api/students?limit=100&sort=name&q=page' })).json() as Page).items.map((s) => s.name);
    expect(byName).toEqual([...byName].sort());
  });

  it('Idempotency-Key: a retried registration returns the first outcome and creates one row; another body with the key is 422', async () => {
    const key = randomUUID();
    const body = { name: 'Idempotent Irene', birthDate: ADULT, plan: 'Natação', cpf: cpf(555666777) };
    const first = await call(t, a, { method: 'POST', url: '/api/students', body, headers: { 'idempotency-key': key } });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    for (let retry = 0; retry < 3; retry++) {
      // the CPF is taken by now: only a replay can answer 201
      const again = await call(t, a, { method: 'POST', url: '/api/students', body, headers: { 'idempotency-key': key } });
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toBe(first.body);
    }
    const rows = await t.app.db.kysely.selectFrom('students').select('id').where('tenant_id', '=', a.id).where('name', '=', 'Idempotent Irene').execute();
    expect(rows).toEqual([{ id: first.json().id }]);
    expect(await auditRowsOf(first.json().id)).toHaveLength(1);
    const reused = await call(t, a, { method: 'POST', url: '/api/students', body: { ...body, name: 'Someone Else' }, headers: { 'idempotency-key': key } });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('ERR_IDEMPOTENCY_KEY_REUSED');
    // without the key, the retry is a duplicate
    expect((await call(t, a, { method: 'POST', url: '/api/students', body })).json().code).toBe('ERR_STUDENT_CPF_TAKEN');
    // the same key in another tenant is another request
    const otherTenant = await call(t, b, { method: 'POST', url: '/api/students', body, headers: { 'idempotency-key': key } });
    expect(otherTenant.statusCode).toBe(201);
    expect(otherTenant.headers['idempotent-replayed']).toBeUndefined();
  });

  it('Idempotency-Key: concurrent retries of a registration all get the first outcome and create one row', async () => {
    const key = randomUUID();
    const body = { name: 'Concurrent Caio', birthDate: ADULT, plan: 'Natação', cpf: cpf(444555666) };
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => call(t, a, { method: 'POST', url: '/api/students', body, headers: { 'idempotency-key': key } })),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(responses.map((r) => r.body)).size).toBe(1);
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(4);
    const rows = await t.app.db.kysely.selectFrom('students').select('id').where('tenant_id', '=', a.id).where('name', '=', 'Concurrent Caio').execute();
    expect(rows).toHaveLength(1);
    expect(await auditRowsOf(rows[0]?.id as string)).toHaveLength(1);
  });

  it('never answered a 500 in this suite', () => {
    expect(t.logs.filter((l) => l.msg === 'request failed')).toEqual([]);
  });
});
