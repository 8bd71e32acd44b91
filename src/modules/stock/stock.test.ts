import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithUsers, type TestTenant } from '../../../test/support/auth.js';
import { call, expectScenario, type Call, type Scenario } from '../../../test/support/api.js';
import { buildTestApp, type TestApp } from '../../../test/support/build-app.js';
import { ENGINES } from '../../../test/support/test-database.js';
import { addDays, todayUtc } from './stock.queries.js';

/** A date `n` days from today (UTC), as the server counts them. */
const day = (n: number) => addDays(todayUtc(), n);
/** A cursor that decodes but was not given out by the server. */
const forged = (value: unknown, id: unknown) => Buffer.from(JSON.stringify([value, id])).toString('base64url');

describe.each(ENGINES)('stock on %s', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let flourId: string;
  let flourLotId: string;

  const db = () => t.app.db.kysely;
  const lotRow = (id: string) => db().selectFrom('stock_lots').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const movementsOf = (lotId: string) =>
    db().selectFrom('stock_movements').selectAll().where('lot_id', '=', lotId).orderBy('created_at').orderBy('id').execute();

  async function product(tenant: TestTenant, body: Record<string, unknown>): Promise<string> {
    const response = await call(t, tenant, { method: 'POST', url: '/api/products', body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id;
  }
  async function lot(tenant: TestTenant, body: Record<string, unknown>): Promise<string> {
    const response = await call(t, tenant, { method: 'POST', url: '/api/stock/lots', body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id;
  }
  const move = (tenant: TestTenant, body: Record<string, unknown>, as: Call['as'] = 'staff') =>
    call(t, tenant, { method: 'POST', url: '/api/stock/movements', body, as });

  beforeAll(async () => {
    t = await buildTestApp({ engine });
    [a, b] = await Promise.all([createTenantWithUsers(t, 'a'), createTenantWithUsers(t, 'b')]);
    flourId = await product(a, { sku: 'FAR-1KG', name: 'Farinha', unit: 'kg', minStock: 5 });
    const created = await call(t, a, {
      method: 'POST',
      url: '/api/stock/lots',
      body: { productId: flourId, code: 'A-FLOUR-1', quantity: 10, expiresOn: day(3), reason: 'NF 123' },
      as: 'staff',
    });
    expect(created.statusCode, created.body).toBe(201);
    flourLotId = created.json().id;
  });
  afterAll(() => t.close());

  it('receives a lot: the lot, its "in" movement and the audit row are in the database', async () => {
    const response = await call(t, a, { method: 'GET', url: `/api/stock/lots/${flourLotId}`, as: 'viewer' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: flourLotId, productId: flourId, code: 'A-FLOUR-1', quantity: 10, expiresOn: day(3), expired: false });
    expect(Object.keys(response.json()).sort()).toEqual(['code', 'createdAt', 'expired', 'expiresOn', 'id', 'productId', 'quantity', 'updatedAt']);
    expect(await lotRow(flourLotId)).toMatchObject({ tenant_id: a.id, product_id: flourId, quantity: 10_000, expires_on: day(3), expired: 0 });
    expect(await movementsOf(flourLotId)).toMatchObject([
      { tenant_id: a.id, product_id: flourId, type: 'in', quantity: 10_000, balance_after: 10_000, reason: 'NF 123', user_id: a.userIds.staff },
    ]);
    const audit = await db().selectFrom('audit_log').selectAll().where('entity_id', '=', flourLotId).execute();
    expect(audit).toMatchObject([{ action: 'stock.receive', entity: 'stock_lot', tenant_id: a.id, user_id: a.userIds.staff }]);
    const movements = await call(t, a, { method: 'GET', url: `/api/stock/movements?lotId=${flourLotId}`, as: 'viewer' });
    expect(movements.json().items).toMatchObject([
      { lotId: flourLotId, productId: flourId, type: 'in', quantity: 10, balanceAfter: 10, reason: 'NF 123', userId: a.userIds.staff },
    ]);
    expect(Object.keys(movements.json().items[0]).sort()).toEqual([
      'balanceAfter',
      'createdAt',
      'id',
      'lotId',
      'productId',
      'quantity',
      'reason',
      'type',
      'userId',
    ]);
  });

  const lotBody = { productId: '', code: 'S-OK', quantity: 2.5 };
  const scenarios = (): Scenario[] => {
    const body = { ...lotBody, productId: flourId };
    const over1MiB = 'y'.repeat(1_100_000);
    return [
      // POST /lots
      { name: 'lot without expiry', method: 'POST', url: '/api/stock/lots', body, status: 201 },
      { name: 'lot code taken', method: 'POST', url: '/api/stock/lots', body: { ...body, code: 'A-FLOUR-1' }, status: 409, code: 'ERR_STOCK_LOT_CODE_TAKEN' },
      {
        name: 'lot of unknown product',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-1', productId: randomUUID() },
        status: 404,
        code: 'ERR_PRODUCT_NOT_FOUND',
      },
      {
        name: 'lot missing fields',
        method: 'POST',
        url: '/api/stock/lots',
        body: {},
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/productId', '/code', '/quantity'],
      },
      {
        name: 'lot unknown field',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-2', tenantId: a.id },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/tenantId'],
      },
      {
        name: 'lot quantity as a string',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-3', quantity: '2' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'lot quantity 0',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-4', quantity: 0 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'lot quantity negative',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-5', quantity: -1 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'lot quantity with 4 decimals',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-6', quantity: 1.2345 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'lot quantity tiny',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-6b', quantity: 1e-7 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'lot quantity over 1e9',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-7', quantity: 1e9 + 1 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'lot quantity null',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-7b', quantity: null },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'lot date that does not exist',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-8', expiresOn: '2026-02-30' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/expiresOn'],
      },
      {
        name: 'lot date month 13',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-9', expiresOn: '2026-13-01' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/expiresOn'],
      },
      {
        name: 'lot date in another format',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-10', expiresOn: '01/03/2026' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/expiresOn'],
      },
      {
        name: 'lot code too long',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'C'.repeat(129) },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/code'],
      },
      {
        name: 'lot code with a space',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S 11' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/code'],
      },
      { name: 'lot code empty', method: 'POST', url: '/api/stock/lots', body: { ...body, code: '' }, status: 400, code: 'ERR_VALIDATION', fields: ['/code'] },
      {
        name: 'lot reason too long',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-12', reason: 'r'.repeat(501) },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/reason'],
      },
      {
        name: 'lot product id not a uuid',
        method: 'POST',
        url: '/api/stock/lots',
        body: { ...body, code: 'S-13', productId: '42' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/productId'],
      },
      {
        name: 'lot malformed JSON',
        method: 'POST',
        url: '/api/stock/lots',
        raw: { payload: '{"code":', contentType: 'application/json' },
        status: 400,
        code: 'ERR_MALFORMED_JSON',
      },
      {
        name: 'lot not JSON',
        method: 'POST',
        url: '/api/stock/lots',
        raw: { payload: 'code=S-14', contentType: 'text/plain' },
        status: 415,
        code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'lot over 1 MiB',
        method: 'POST',
        url: '/api/stock/lots',
        raw: { payload: JSON.stringify({ ...body, code: 'S-15', reason: over1MiB }), contentType: 'application/json' },
        status: 413,
        code: 'ERR_BODY_TOO_LARGE',
      },
      // POST /movements
      {
        name: 'movement missing fields',
        method: 'POST',
        url: '/api/stock/movements',
        body: {},
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/lotCode', '/type'],
      },
      {
        name: 'movement unknown type',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'steal', quantity: 1 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/type'],
      },
      {
        name: 'movement unknown field',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'in', quantity: 1, lotId: flourLotId },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/lotId'],
      },
      {
        name: 'in without quantity',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'in' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'out without quantity',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'out' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'out with a counted quantity',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'out', quantity: 1, countedQuantity: 3 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/countedQuantity'],
      },
      {
        name: 'out quantity as a string',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'out', quantity: '2' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'out quantity 0',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'out', quantity: 0 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'out quantity negative',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'out', quantity: -3 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'in quantity with 4 decimals',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'in', quantity: 0.0005 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'in quantity over 1e9',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'in', quantity: 2e9 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'adjust with quantity',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'adjust', quantity: 1, countedQuantity: 3, reason: 'count' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'adjust without counted quantity or reason',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'adjust' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/countedQuantity', '/reason'],
      },
      {
        name: 'adjust without reason',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'adjust', countedQuantity: 3 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/reason'],
      },
      {
        name: 'adjust empty reason',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'adjust', countedQuantity: 3, reason: '' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/reason'],
      },
      {
        name: 'adjust counted negative',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'adjust', countedQuantity: -1, reason: 'count' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/countedQuantity'],
      },
      {
        name: 'adjust counted with 4 decimals',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'adjust', countedQuantity: 1.0001, reason: 'count' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/countedQuantity'],
      },
      {
        name: 'expire with quantity',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'expire', quantity: 1 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'expire with counted quantity',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'expire', countedQuantity: 0 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/countedQuantity'],
      },
      {
        name: 'movement of unknown lot',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'NOPE', type: 'in', quantity: 1 },
        status: 404,
        code: 'ERR_STOCK_LOT_NOT_FOUND',
      },
      {
        name: 'adjust of unknown lot',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'NOPE', type: 'adjust', countedQuantity: 1, reason: 'count' },
        status: 404,
        code: 'ERR_STOCK_LOT_NOT_FOUND',
      },
      {
        name: 'out more than the lot holds',
        method: 'POST',
        url: '/api/stock/movements',
        body: { lotCode: 'A-FLOUR-1', type: 'out', quantity: 10.001 },
        status: 409,
        code: 'ERR_STOCK_INSUFFICIENT',
      },
      {
        name: 'movement not JSON',
        method: 'POST',
        url: '/api/stock/movements',
        raw: { payload: 'type=in', contentType: 'text/plain' },
        status: 415,
        code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'movement over 1 MiB',
        method: 'POST',
        url: '/api/stock/movements',
        raw: { payload: JSON.stringify({ lotCode: 'A-FLOUR-1', type: 'in', quantity: 1, reason: over1MiB }), contentType: 'application/json' },
        status: 413,
        code: 'ERR_BODY_TOO_LARGE',
      },
      // POST /use
      {
        name: 'use missing quantity',
        method: 'POST',
        url: '/api/stock/use',
        body: { lotCode: 'A-FLOUR-1' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'use quantity as a string',
        method: 'POST',
        url: '/api/stock/use',
        body: { lotCode: 'A-FLOUR-1', quantity: '1' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'use quantity 0',
        method: 'POST',
        url: '/api/stock/use',
        body: { lotCode: 'A-FLOUR-1', quantity: 0 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'use quantity negative',
        method: 'POST',
        url: '/api/stock/use',
        body: { lotCode: 'A-FLOUR-1', quantity: -0.5 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'use quantity with 4 decimals',
        method: 'POST',
        url: '/api/stock/use',
        body: { lotCode: 'A-FLOUR-1', quantity: 0.1234 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/quantity'],
      },
      {
        name: 'use with a reason',
        method: 'POST',
        url: '/api/stock/use',
        body: { lotCode: 'A-FLOUR-1', quantity: 1, reason: 'x' },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/reason'],
      },
      {
        name: 'use lot code too long',
        method: 'POST',
        url: '/api/stock/use',
        body: { lotCode: 'C'.repeat(129), quantity: 1 },
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/lotCode'],
      },
      {
        name: 'use of unknown lot',
        method: 'POST',
        url: '/api/stock/use',
        body: { lotCode: 'NOPE', quantity: 1 },
        status: 404,
        code: 'ERR_STOCK_LOT_NOT_FOUND',
      },
      {
        name: 'use more than the lot holds',
        method: 'POST',
        url: '/api/stock/use',
        body: { lotCode: 'A-FLOUR-1', quantity: 11 },
        status: 409,
        code: 'ERR_STOCK_INSUFFICIENT',
      },
      {
        name: 'use not JSON',
        method: 'POST',
        url: '/api/stock/use',
        raw: { payload: 'A-FLOUR-1', contentType: 'text/plain' },
        status: 415,
        code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'use malformed JSON',
        method: 'POST',
        url: '/api/stock/use',
        raw: { payload: '{"lotCode":"A-FLOUR-1",', contentType: 'application/json' },
        status: 400,
        code: 'ERR_MALFORMED_JSON',
      },
      {
        name: 'use over 1 MiB',
        method: 'POST',
        url: '/api/stock/use',
        raw: { payload: JSON.stringify({ lotCode: over1MiB, quantity: 1 }), contentType: 'application/json' },
        status: 413,
        code: 'ERR_BODY_TOO_LARGE',
      },
      // reads
      { name: 'lots limit 0', method: 'GET', url: '/api/stock/lots?limit=0', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
      { name: 'lots limit 101', method: 'GET', url: '/api/stock/lots?limit=101', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
      { name: 'lots malformed cursor', method: 'GET', url: '/api/stock/lots?cursor=!!notacursor', status: 400, code: 'ERR_VALIDATION', fields: ['/cursor'] },
      {
        name: 'lots forged cursor',
        method: 'GET',
        url: `/api/stock/lots?cursor=${forged('x', 'not-a-uuid')}`,
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/cursor'],
      },
      { name: 'lots product id not a uuid', method: 'GET', url: '/api/stock/lots?productId=abc', status: 400, code: 'ERR_VALIDATION', fields: ['/productId'] },
      { name: 'lots unknown query param', method: 'GET', url: '/api/stock/lots?tenantId=x', status: 400, code: 'ERR_VALIDATION' },
      { name: 'lot id not a uuid', method: 'GET', url: '/api/stock/lots/123', status: 400, code: 'ERR_VALIDATION', fields: ['/id'] },
      { name: 'unknown lot id', method: 'GET', url: `/api/stock/lots/${randomUUID()}`, status: 404, code: 'ERR_STOCK_LOT_NOT_FOUND' },
      { name: 'movements limit 101', method: 'GET', url: '/api/stock/movements?limit=101', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
      { name: 'movements malformed cursor', method: 'GET', url: '/api/stock/movements?cursor=%%%', status: 400, code: 'ERR_VALIDATION' },
      {
        name: 'movements forged cursor',
        method: 'GET',
        url: `/api/stock/movements?cursor=${forged('not-a-time', randomUUID())}`,
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/cursor'],
      },
      { name: 'movements lot id not a uuid', method: 'GET', url: '/api/stock/movements?lotId=1', status: 400, code: 'ERR_VALIDATION', fields: ['/lotId'] },
      { name: 'balance limit 0', method: 'GET', url: '/api/stock/balance?limit=0', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
      { name: 'balance limit 101', method: 'GET', url: '/api/stock/balance?limit=101', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
      { name: 'balance malformed cursor', method: 'GET', url: '/api/stock/balance?cursor=!!', status: 400, code: 'ERR_VALIDATION', fields: ['/cursor'] },
      { name: 'below-minimum limit 101', method: 'GET', url: '/api/stock/below-minimum?limit=101', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
      {
        name: 'below-minimum forged cursor',
        method: 'GET',
        url: `/api/stock/below-minimum?cursor=${forged('a', 'b')}`,
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/cursor'],
      },
      { name: 'expiring 0 days', method: 'GET', url: '/api/stock/expiring?days=0', status: 400, code: 'ERR_VALIDATION', fields: ['/days'] },
      { name: 'expiring 366 days', method: 'GET', url: '/api/stock/expiring?days=366', status: 400, code: 'ERR_VALIDATION', fields: ['/days'] },
      { name: 'expiring days not a number', method: 'GET', url: '/api/stock/expiring?days=soon', status: 400, code: 'ERR_VALIDATION', fields: ['/days'] },
      { name: 'expiring days fractional', method: 'GET', url: '/api/stock/expiring?days=1.5', status: 400, code: 'ERR_VALIDATION', fields: ['/days'] },
      { name: 'expiring limit 0', method: 'GET', url: '/api/stock/expiring?limit=0', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
      {
        name: 'expiring forged cursor date',
        method: 'GET',
        url: `/api/stock/expiring?cursor=${forged('2026-02-30', randomUUID())}`,
        status: 400,
        code: 'ERR_VALIDATION',
        fields: ['/cursor'],
      },
      { name: 'no token', method: 'GET', url: '/api/stock/balance', as: 'anonymous', status: 401, code: 'ERR_AUTH_REQUIRED' },
      {
        name: 'no token to use',
        method: 'POST',
        url: '/api/stock/use',
        body: { lotCode: 'A-FLOUR-1', quantity: 1 },
        as: 'anonymous',
        status: 401,
        code: 'ERR_AUTH_REQUIRED',
      },
    ];
  };

  it('answers each scenario with its status and code, and rejected writes change nothing', async () => {
    for (const scenario of scenarios()) await expectScenario(t, a, scenario, expect);
    expect(await lotRow(flourLotId)).toMatchObject({ quantity: 10_000, expired: 0 });
    expect(await movementsOf(flourLotId)).toHaveLength(1);
    const insufficient = await call(t, a, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'A-FLOUR-1', quantity: 10.5 } });
    expect(insufficient.json()).toMatchObject({ code: 'ERR_STOCK_INSUFFICIENT', available: 10, requested: 10.5 });
    const codes = await db().selectFrom('stock_lots').select('code').where('tenant_id', '=', a.id).orderBy('code').execute();
    expect(codes.map((c) => c.code)).toEqual(['A-FLOUR-1', 'S-OK']);
  });

  const writes = (code: string) =>
    ({
      lots: { method: 'POST', url: '/api/stock/lots', body: { productId: flourId, code, quantity: 1 } },
      movements: { method: 'POST', url: '/api/stock/movements', body: { lotCode: 'A-FLOUR-1', type: 'in', quantity: 0.001 } },
      use: { method: 'POST', url: '/api/stock/use', body: { lotCode: 'A-FLOUR-1', quantity: 0.001 } },
    }) as const;

  it.each([
    ['viewer', 'lots', 403],
    ['staff', 'lots', 201],
    ['admin', 'lots', 201],
    ['owner', 'lots', 201],
    ['viewer', 'movements', 403],
    ['staff', 'movements', 201],
    ['admin', 'movements', 201],
    ['owner', 'movements', 201],
    ['viewer', 'use', 403],
    ['staff', 'use', 201],
    ['admin', 'use', 201],
    ['owner', 'use', 201],
  ] as const)('role %s POST /%s → %i', async (role, route, status) => {
    const before = await movementsOf(flourLotId);
    const response = await call(t, a, { ...writes(`ROLE-${role}-${route}`)[route], as: role });
    expect(response.statusCode, response.body).toBe(status);
    if (status === 403) {
      expect(response.json()).toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', permission: 'write' });
      expect(await movementsOf(flourLotId)).toHaveLength(before.length);
    } else if (route !== 'lots') {
      expect(await movementsOf(flourLotId)).toHaveLength(before.length + 1);
      expect((await movementsOf(flourLotId)).at(-1)).toMatchObject({ user_id: a.userIds[role] });
    }
    const lotsOfRole = await db().selectFrom('stock_lots').select('id').where('tenant_id', '=', a.id).where('code', '=', `ROLE-${role}-${route}`).execute();
    expect(lotsOfRole).toHaveLength(route === 'lots' && status === 201 ? 1 : 0);
    for (const read of ['/api/stock/lots', '/api/stock/movements', '/api/stock/balance', '/api/stock/below-minimum', '/api/stock/expiring']) {
      expect((await call(t, a, { method: 'GET', url: read, as: role })).statusCode, read).toBe(200);
    }
  });

  it('tenant isolation: tenant B using tenant A ids and codes gets 404 or an empty list, never A data', async () => {
    const before = await lotRow(flourLotId);
    const beforeMovements = await movementsOf(flourLotId);
    const notFound: Array<[Call, string]> = [
      [{ method: 'GET', url: `/api/stock/lots/${flourLotId}` }, 'ERR_STOCK_LOT_NOT_FOUND'],
      [{ method: 'POST', url: '/api/stock/lots', body: { productId: flourId, code: 'B-1', quantity: 1 } }, 'ERR_PRODUCT_NOT_FOUND'],
      [{ method: 'POST', url: '/api/stock/movements', body: { lotCode: 'A-FLOUR-1', type: 'in', quantity: 1 } }, 'ERR_STOCK_LOT_NOT_FOUND'],
      [{ method: 'POST', url: '/api/stock/movements', body: { lotCode: 'A-FLOUR-1', type: 'out', quantity: 1 } }, 'ERR_STOCK_LOT_NOT_FOUND'],
      [
        { method: 'POST', url: '/api/stock/movements', body: { lotCode: 'A-FLOUR-1', type: 'adjust', countedQuantity: 0, reason: 'x' } },
        'ERR_STOCK_LOT_NOT_FOUND',
      ],
      [{ method: 'POST', url: '/api/stock/movements', body: { lotCode: 'A-FLOUR-1', type: 'expire' } }, 'ERR_STOCK_LOT_NOT_FOUND'],
      [{ method: 'POST', url: '/api/stock/use', body: { lotCode: 'A-FLOUR-1', quantity: 1 } }, 'ERR_STOCK_LOT_NOT_FOUND'],
      [{ method: 'DELETE', url: `/api/products/${flourId}` }, 'ERR_PRODUCT_NOT_FOUND'],
    ];
    for (const [c, code] of notFound) {
      const response = await call(t, b, c);
      expect(response.statusCode, `${c.method} ${c.url}`).toBe(404);
      expect(response.json().code, `${c.method} ${c.url}`).toBe(code);
    }
    const lists = [
      '/api/stock/lots?limit=100',
      `/api/stock/lots?productId=${flourId}`,
      '/api/stock/lots?code=A-FLOUR-1',
      '/api/stock/movements?limit=100',
      `/api/stock/movements?lotId=${flourLotId}`,
      `/api/stock/movements?productId=${flourId}`,
      '/api/stock/balance?limit=100',
      '/api/stock/balance?q=farinha',
      '/api/stock/below-minimum?limit=100',
      '/api/stock/expiring?days=365&limit=100',
    ];
    for (const url of lists) {
      const response = await call(t, b, { method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.json().items, url).toEqual([]);
    }
    expect(await lotRow(flourLotId)).toEqual(before);
    expect(await movementsOf(flourLotId)).toEqual(beforeMovements);
    // B may use the same lot code for its own product; each tenant's code names its own lot
    const bProduct = await product(b, { sku: 'FAR-1KG', name: 'Farinha B', unit: 'kg', minStock: 1 });
    const bLot = await lot(b, { productId: bProduct, code: 'A-FLOUR-1', quantity: 3 });
    const used = await call(t, b, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'A-FLOUR-1', quantity: 1 } });
    expect(used.json().lot).toMatchObject({ id: bLot, quantity: 2 });
    expect(await lotRow(flourLotId)).toEqual(before);
    expect((await call(t, a, { method: 'GET', url: `/api/stock/lots/${bLot}` })).statusCode).toBe(404);
    const aLists = await call(t, a, { method: 'GET', url: '/api/stock/lots?code=A-FLOUR-1' });
    expect(aLists.json().items.map((l: { id: string }) => l.id)).toEqual([flourLotId]);
  });

  it('50 concurrent "out" movements of 1 against a lot of 10: exactly 10 succeed, the rest get 409, the balance ends at 0', async () => {
    const eggs = await product(a, { sku: 'OVO', name: 'Ovos', unit: 'un' });
    const raceLot = await lot(a, { productId: eggs, code: 'RACE-10', quantity: 10 });
    const results = await Promise.all(Array.from({ length: 50 }, () => move(a, { lotCode: 'RACE-10', type: 'out', quantity: 1 })));
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(40);
    for (const r of results.filter((x) => x.statusCode === 409)) expect(r.json()).toMatchObject({ code: 'ERR_STOCK_INSUFFICIENT', available: 0 });
    expect((await lotRow(raceLot)).quantity).toBe(0);
    const movements = await movementsOf(raceLot);
    const outs = movements.filter((m) => m.type === 'out');
    expect(outs).toHaveLength(10);
    expect(outs.every((m) => m.quantity === -1000)).toBe(true);
    // each success saw a distinct balance: 9, 8, … 0, never below
    expect(outs.map((m) => m.balance_after).sort((x, y) => x - y)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]);
    // the lot's movements are its receipt and exactly the 10 answered 201, which add up to what is stored
    expect(movements.map((m) => m.type).sort()).toEqual(['in', ...Array.from({ length: 10 }, () => 'out')]);
    expect(movements.reduce((sum, m) => sum + m.quantity, 0)).toBe((await lotRow(raceLot)).quantity);
    const answered = results.filter((r) => r.statusCode === 201).map((r) => r.json().movement as { id: string; balanceAfter: number });
    expect(answered.map((m) => m.id).sort()).toEqual(outs.map((m) => m.id).sort());
    for (const m of answered) expect(outs.find((o) => o.id === m.id)?.balance_after).toBe(m.balanceAfter * 1000);
    const successes = answered.map((m) => m.id);
    const audit = await db().selectFrom('audit_log').select('entity_id').where('action', '=', 'stock.move').where('entity_id', 'in', successes).execute();
    expect(audit.map((x) => x.entity_id).sort()).toEqual([...successes].sort());
  });

  it('uses a lot by its QR code: an "out" movement, the remaining quantity exact to the milli-unit', async () => {
    const sugar = await product(a, { sku: 'ACU', name: 'Açúcar', unit: 'kg' });
    const sugarLot = await lot(a, { productId: sugar, code: 'QR-SUGAR', quantity: 1 });
    for (let i = 0; i < 3; i++) {
      const used = await call(t, a, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'QR-SUGAR', quantity: 0.333 }, as: 'staff' });
      expect(used.statusCode).toBe(201);
      expect(used.json().movement).toMatchObject({ type: 'out', quantity: -0.333, lotId: sugarLot, productId: sugar, reason: null, userId: a.userIds.staff });
    }
    const last = await call(t, a, { method: 'GET', url: `/api/stock/lots/${sugarLot}` });
    expect(last.json().quantity).toBe(0.001);
    const refill = await move(a, { lotCode: 'QR-SUGAR', type: 'in', quantity: 2.999, reason: 'NF 9' });
    expect(refill.json()).toMatchObject({ lot: { quantity: 3 }, movement: { type: 'in', quantity: 2.999, balanceAfter: 3, reason: 'NF 9' } });
    const rows = await movementsOf(sugarLot);
    expect(rows.map((m) => [m.type, m.quantity, m.balance_after])).toEqual([
      ['in', 1000, 1000],
      ['out', -333, 667],
      ['out', -333, 334],
      ['out', -333, 1],
      ['in', 2999, 3000],
    ]);
    expect(rows.reduce((sum, m) => sum + m.quantity, 0)).toBe((await lotRow(sugarLot)).quantity);
    const audit = await db()
      .selectFrom('audit_log')
      .select(['action', 'entity'])
      .where(
        'entity_id',
        'in',
        rows.map((m) => m.id),
      )
      .orderBy('action')
      .execute();
    expect(audit.map((x) => x.action)).toEqual(['stock.move', 'stock.use', 'stock.use', 'stock.use']);
  });

  it('a retried use with the same Idempotency-Key takes stock once', async () => {
    const oil = await product(a, { sku: 'OLEO', name: 'Óleo', unit: 'l' });
    const oilLot = await lot(a, { productId: oil, code: 'QR-OIL', quantity: 5 });
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 4 }, () =>
        call(t, a, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'QR-OIL', quantity: 1.5 }, headers: { 'idempotency-key': key } }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    expect(new Set(responses.map((r) => r.json().movement.id)).size).toBe(1);
    expect((await lotRow(oilLot)).quantity).toBe(3500);
    expect((await movementsOf(oilLot)).filter((m) => m.type === 'out')).toHaveLength(1);
  });

  it('adjusts a lot to the counted quantity, recording the signed difference and the reason', async () => {
    const milk = await product(a, { sku: 'LEITE', name: 'Leite', unit: 'l' });
    const milkLot = await lot(a, { productId: milk, code: 'QR-MILK', quantity: 10 });
    const down = await move(a, { lotCode: 'QR-MILK', type: 'adjust', countedQuantity: 7.25, reason: 'inventory count' });
    expect(down.statusCode).toBe(201);
    expect(down.json()).toMatchObject({
      lot: { quantity: 7.25 },
      movement: { type: 'adjust', quantity: -2.75, balanceAfter: 7.25, reason: 'inventory count' },
    });
    const up = await move(a, { lotCode: 'QR-MILK', type: 'adjust', countedQuantity: 8, reason: 'found a box' });
    expect(up.json().movement).toMatchObject({ quantity: 0.75, balanceAfter: 8 });
    const same = await move(a, { lotCode: 'QR-MILK', type: 'adjust', countedQuantity: 8, reason: 'recount' });
    expect(same.json().movement).toMatchObject({ quantity: 0, balanceAfter: 8 });
    const zero = await move(a, { lotCode: 'QR-MILK', type: 'adjust', countedQuantity: 0, reason: 'spilled' });
    expect(zero.json()).toMatchObject({ lot: { quantity: 0, expired: false }, movement: { quantity: -8, balanceAfter: 0 } });
    expect((await movementsOf(milkLot)).map((m) => [m.type, m.quantity, m.balance_after, m.reason])).toEqual([
      ['in', 10_000, 10_000, null],
      ['adjust', -2750, 7250, 'inventory count'],
      ['adjust', 750, 8000, 'found a box'],
      ['adjust', 0, 8000, 'recount'],
      ['adjust', -8000, 0, 'spilled'],
    ]);
    expect((await lotRow(milkLot)).quantity).toBe(0);
    const out = await move(a, { lotCode: 'QR-MILK', type: 'out', quantity: 0.001 });
    expect(out.json()).toMatchObject({ code: 'ERR_STOCK_INSUFFICIENT', available: 0 });
  });

  it('expires a lot: zeroed, marked expired, and it takes no more movements', async () => {
    const cream = await product(a, { sku: 'CREME', name: 'Creme de leite', unit: 'un' });
    const creamLot = await lot(a, { productId: cream, code: 'QR-CREAM', quantity: 4, expiresOn: day(-1) });
    const expired = await move(a, { lotCode: 'QR-CREAM', type: 'expire' });
    expect(expired.statusCode).toBe(201);
    expect(expired.json()).toMatchObject({
      lot: { id: creamLot, quantity: 0, expired: true },
      movement: { type: 'expire', quantity: -4, balanceAfter: 0, reason: null },
    });
    expect(await lotRow(creamLot)).toMatchObject({ quantity: 0, expired: 1 });
    expect((await movementsOf(creamLot)).map((m) => [m.type, m.quantity, m.balance_after])).toEqual([
      ['in', 4000, 4000],
      ['expire', -4000, 0],
    ]);
    for (const c of [
      { method: 'POST', url: '/api/stock/use', body: { lotCode: 'QR-CREAM', quantity: 1 } },
      { method: 'POST', url: '/api/stock/movements', body: { lotCode: 'QR-CREAM', type: 'in', quantity: 1 } },
      { method: 'POST', url: '/api/stock/movements', body: { lotCode: 'QR-CREAM', type: 'out', quantity: 1 } },
      { method: 'POST', url: '/api/stock/movements', body: { lotCode: 'QR-CREAM', type: 'adjust', countedQuantity: 2, reason: 'found' } },
      { method: 'POST', url: '/api/stock/movements', body: { lotCode: 'QR-CREAM', type: 'expire', reason: 'again' } },
    ] as const) {
      const response = await call(t, a, c);
      expect(response.statusCode, JSON.stringify(c.body)).toBe(409);
      expect(response.json().code).toBe('ERR_STOCK_LOT_EXPIRED');
    }
    expect(await movementsOf(creamLot)).toHaveLength(2);
    expect(await lotRow(creamLot)).toMatchObject({ quantity: 0, expired: 1 });
    // an empty lot can be expired too: a change of 0, not -0
    const empty = await lot(a, { productId: cream, code: 'QR-CREAM-2', quantity: 1 });
    await call(t, a, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'QR-CREAM-2', quantity: 1 } });
    const expiredEmpty = await move(a, { lotCode: 'QR-CREAM-2', type: 'expire', reason: 'box damaged' });
    expect(expiredEmpty.json().movement).toMatchObject({ quantity: 0, balanceAfter: 0, reason: 'box damaged' });
    expect(Object.is(expiredEmpty.json().movement.quantity, 0)).toBe(true);
    expect((await movementsOf(empty)).at(-1)).toMatchObject({ type: 'expire', quantity: 0 });
  });

  it('balance and below-minimum: totals per product summed exactly from the lots', async () => {
    const c = await createTenantWithUsers(t, 'kitchen');
    const rice = await product(c, { sku: 'ARROZ', name: 'Arroz', unit: 'kg', minStock: 10 });
    const beans = await product(c, { sku: 'FEIJAO', name: 'Feijão', unit: 'kg', minStock: 3 });
    const salt = await product(c, { sku: 'SAL', name: 'Sal', unit: 'g', minStock: 500 });
    const water = await product(c, { sku: 'AGUA', name: 'Água', unit: 'l' });
    const oldRice = await product(c, { sku: 'ARROZ-OLD', name: 'Arroz velho', unit: 'kg', minStock: 100 });
    expect((await call(t, c, { method: 'PATCH', url: `/api/products/${oldRice}`, body: { version: 1, active: false } })).statusCode).toBe(200);
    const riceLate = await lot(c, { productId: rice, code: 'R-1', quantity: 4.1, expiresOn: day(30) });
    const riceSoon = await lot(c, { productId: rice, code: 'R-2', quantity: 0.2, expiresOn: day(2) });
    const riceForever = await lot(c, { productId: rice, code: 'R-3', quantity: 0.7 });
    await lot(c, { productId: rice, code: 'R-EMPTY', quantity: 1 });
    await call(t, c, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'R-EMPTY', quantity: 1 } });
    await lot(c, { productId: beans, code: 'F-1', quantity: 3 });
    await lot(c, { productId: water, code: 'W-1', quantity: 20 });

    const balance = await call(t, c, { method: 'GET', url: '/api/stock/balance?limit=100', as: 'viewer' });
    expect(balance.statusCode).toBe(200);
    const byName = Object.fromEntries(balance.json().items.map((i: { name: string }) => [i.name, i]));
    expect(Object.keys(byName).sort()).toEqual(['Arroz', 'Arroz velho', 'Feijão', 'Sal', 'Água']);
    // 4.1 + 0.2 + 0.7 in floating point is 4.999999…; in milli-units it is 5
    expect(byName.Arroz).toEqual({
      productId: rice,
      sku: 'ARROZ',
      name: 'Arroz',
      unit: 'kg',
      minStock: 10,
      quantity: 5,
      lots: [
        { id: riceSoon, code: 'R-2', quantity: 0.2, expiresOn: day(2) },
        { id: riceLate, code: 'R-1', quantity: 4.1, expiresOn: day(30) },
        { id: riceForever, code: 'R-3', quantity: 0.7, expiresOn: null },
      ],
    });
    expect(byName['Sal']).toMatchObject({ quantity: 0, lots: [] });
    expect(byName['Água']).toMatchObject({ quantity: 20, unit: 'l' });

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ productId: string }>; nextCursor: string | null } = (
        await call(t, c, { method: 'GET', url: `/api/stock/balance?limit=2${cursor ? `&cursor=${cursor}` : ''}` })
      ).json();
      paged.push(...page.items.map((i) => i.productId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(balance.json().items.map((i: { productId: string }) => i.productId));
    expect((await call(t, c, { method: 'GET', url: '/api/stock/balance?q=arroz&active=true' })).json().items.map((i: { sku: string }) => i.sku)).toEqual([
      'ARROZ',
    ]);

    const below = await call(t, c, { method: 'GET', url: '/api/stock/below-minimum', as: 'viewer' });
    expect(below.statusCode).toBe(200);
    // Feijão holds exactly its minimum (not below); Água has no minimum; Arroz velho is inactive
    expect(below.json()).toEqual({
      items: [
        { productId: rice, sku: 'ARROZ', name: 'Arroz', unit: 'kg', minStock: 10, quantity: 5, missing: 5 },
        { productId: salt, sku: 'SAL', name: 'Sal', unit: 'g', minStock: 500, quantity: 0, missing: 500 },
      ],
      nextCursor: null,
    });
    const first = (await call(t, c, { method: 'GET', url: '/api/stock/below-minimum?limit=1' })).json();
    expect(first.items.map((i: { sku: string }) => i.sku)).toEqual(['ARROZ']);
    const second = (await call(t, c, { method: 'GET', url: `/api/stock/below-minimum?limit=1&cursor=${first.nextCursor}` })).json();
    expect(second).toMatchObject({ items: [{ sku: 'SAL' }], nextCursor: null });

    await call(t, c, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'F-1', quantity: 0.001 } });
    const afterUse = (await call(t, c, { method: 'GET', url: '/api/stock/below-minimum' })).json();
    expect(afterUse.items.map((i: { sku: string; quantity: number }) => [i.sku, i.quantity])).toEqual([
      ['ARROZ', 5],
      ['FEIJAO', 2.999],
      ['SAL', 0],
    ]);
  });

  it('expiring: lots with stock expiring within N days, soonest first, past-date lots included, written-off and empty lots left out', async () => {
    const c = await createTenantWithUsers(t, 'expiry');
    const yogurt = await product(c, { sku: 'IOG', name: 'Iogurte', unit: 'un' });
    const ham = await product(c, { sku: 'PRES', name: 'Presunto', unit: 'kg' });
    const overdue = await lot(c, { productId: yogurt, code: 'Y-OVERDUE', quantity: 2, expiresOn: day(-2) });
    const today = await lot(c, { productId: ham, code: 'H-TODAY', quantity: 0.5, expiresOn: day(0) });
    const inSeven = await lot(c, { productId: yogurt, code: 'Y-7', quantity: 6, expiresOn: day(7) });
    const inThree = await lot(c, { productId: ham, code: 'H-3', quantity: 1.25, expiresOn: day(3) });
    const inEight = await lot(c, { productId: yogurt, code: 'Y-8', quantity: 6, expiresOn: day(8) });
    const inYear = await lot(c, { productId: yogurt, code: 'Y-365', quantity: 1, expiresOn: day(365) });
    await lot(c, { productId: yogurt, code: 'Y-NEVER', quantity: 1 });
    await lot(c, { productId: yogurt, code: 'Y-EMPTY', quantity: 1, expiresOn: day(1) });
    await call(t, c, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'Y-EMPTY', quantity: 1 } });
    await lot(c, { productId: ham, code: 'H-EXPIRED', quantity: 3, expiresOn: day(-5) });
    expect((await move(c, { lotCode: 'H-EXPIRED', type: 'expire', reason: 'smell' })).statusCode).toBe(201);

    const week = await call(t, c, { method: 'GET', url: '/api/stock/expiring', as: 'viewer' });
    expect(week.statusCode).toBe(200);
    expect(week.json().items).toEqual([
      { id: overdue, productId: yogurt, sku: 'IOG', name: 'Iogurte', unit: 'un', code: 'Y-OVERDUE', quantity: 2, expiresOn: day(-2), daysLeft: -2 },
      { id: today, productId: ham, sku: 'PRES', name: 'Presunto', unit: 'kg', code: 'H-TODAY', quantity: 0.5, expiresOn: day(0), daysLeft: 0 },
      { id: inThree, productId: ham, sku: 'PRES', name: 'Presunto', unit: 'kg', code: 'H-3', quantity: 1.25, expiresOn: day(3), daysLeft: 3 },
      { id: inSeven, productId: yogurt, sku: 'IOG', name: 'Iogurte', unit: 'un', code: 'Y-7', quantity: 6, expiresOn: day(7), daysLeft: 7 },
    ]);
    const ids = async (query: string) =>
      (await call(t, c, { method: 'GET', url: `/api/stock/expiring?${query}` })).json().items.map((i: { id: string }) => i.id);
    expect(await ids('days=1')).toEqual([overdue, today]);
    expect(await ids('days=8')).toEqual([overdue, today, inThree, inSeven, inEight]);
    expect(await ids('days=365')).toEqual([overdue, today, inThree, inSeven, inEight, inYear]);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
        await call(t, c, { method: 'GET', url: `/api/stock/expiring?days=365&limit=2${cursor ? `&cursor=${cursor}` : ''}` })
      ).json();
      paged.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual([overdue, today, inThree, inSeven, inEight, inYear]);

    // expiring the overdue lot takes it off the list
    await move(c, { lotCode: 'Y-OVERDUE', type: 'expire' });
    expect(await ids('days=1')).toEqual([today]);
  });

  it("products' delete consults stock: refused while a lot holds stock; once all are empty the lots and their movements go with it", async () => {
    const butter = await product(a, { sku: 'MANT', name: 'Manteiga', unit: 'kg' });
    const full = await lot(a, { productId: butter, code: 'B-FULL', quantity: 0.5 });
    const empty = await lot(a, { productId: butter, code: 'B-EMPTY', quantity: 1 });
    await call(t, a, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'B-EMPTY', quantity: 1 } });
    const refused = await call(t, a, { method: 'DELETE', url: `/api/products/${butter}`, as: 'admin' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'ERR_PRODUCT_HAS_STOCK', quantity: 0.5 });
    expect(await lotRow(full)).toMatchObject({ quantity: 500 });
    expect(await movementsOf(empty)).toHaveLength(2);
    expect(await db().selectFrom('audit_log').select('id').where('action', '=', 'products.delete').where('entity_id', '=', butter).execute()).toEqual([]);

    expect((await move(a, { lotCode: 'B-FULL', type: 'adjust', countedQuantity: 0, reason: 'used off the books' })).statusCode).toBe(201);
    const deleted = await call(t, a, { method: 'DELETE', url: `/api/products/${butter}`, as: 'admin' });
    expect(deleted.statusCode).toBe(200);
    expect(await db().selectFrom('stock_lots').select('id').where('product_id', '=', butter).execute()).toEqual([]);
    expect(await db().selectFrom('stock_movements').select('id').where('product_id', '=', butter).execute()).toEqual([]);
    expect(await db().selectFrom('products').select('id').where('id', '=', butter).execute()).toEqual([]);
    expect((await call(t, a, { method: 'GET', url: `/api/stock/lots/${full}` })).statusCode).toBe(404);
    // other products' stock is untouched
    expect(await lotRow(flourLotId)).toMatchObject({ product_id: flourId });
  });

  it('lists lots oldest first and movements newest first, filtered and paged without gaps', async () => {
    const c = await createTenantWithUsers(t, 'lists');
    const tea = await product(c, { sku: 'CHA', name: 'Chá', unit: 'cx' });
    const coffee = await product(c, { sku: 'CAFE', name: 'Café', unit: 'pct' });
    const teaLots = [];
    for (let i = 0; i < 5; i++) teaLots.push(await lot(c, { productId: tea, code: `T-${i}`, quantity: 10 }));
    const coffeeLot = await lot(c, { productId: coffee, code: 'C-0', quantity: 10 });
    for (let i = 1; i <= 4; i++)
      expect((await call(t, c, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'T-0', quantity: i } })).statusCode).toBe(201);
    expect((await call(t, c, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'T-0', quantity: 5 } })).json()).toMatchObject({
      code: 'ERR_STOCK_INSUFFICIENT',
      available: 0,
    });

    expect((await call(t, c, { method: 'GET', url: `/api/stock/lots?productId=${tea}&limit=100` })).json().items.map((l: { id: string }) => l.id)).toEqual(
      teaLots,
    );
    expect((await call(t, c, { method: 'GET', url: '/api/stock/lots?code=C-0' })).json().items.map((l: { id: string }) => l.id)).toEqual([coffeeLot]);
    const pages = async (url: string, limit: number): Promise<Array<{ id: string }>> => {
      const items: Array<{ id: string }> = [];
      let cursor: string | null = null;
      do {
        const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
          await call(t, c, { method: 'GET', url: `${url}${url.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}` })
        ).json();
        expect(page.items.length).toBeLessThanOrEqual(limit);
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return items;
    };
    expect((await pages('/api/stock/lots', 4)).map((l) => l.id)).toEqual([...teaLots, coffeeLot]);

    const ofLot = (await call(t, c, { method: 'GET', url: `/api/stock/movements?lotId=${teaLots[0]}&limit=100` })).json().items;
    expect(ofLot.map((m: { type: string; quantity: number; balanceAfter: number }) => [m.type, m.quantity, m.balanceAfter])).toEqual([
      ['out', -4, 0],
      ['out', -3, 4],
      ['out', -2, 7],
      ['out', -1, 9],
      ['in', 10, 10],
    ]);
    const everything = (await call(t, c, { method: 'GET', url: '/api/stock/movements?limit=100' })).json().items;
    expect(everything).toHaveLength(10);
    expect((await pages('/api/stock/movements', 3)).map((m) => m.id)).toEqual(everything.map((m: { id: string }) => m.id));
    expect((await pages(`/api/stock/movements?productId=${coffee}`, 1)).map((m) => m.id)).toEqual(
      everything.filter((m: { productId: string }) => m.productId === coffee).map((m: { id: string }) => m.id),
    );
    const stored = await db()
      .selectFrom('stock_movements')
      .select('id')
      .where('tenant_id', '=', c.id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    expect(stored.map((m) => m.id)).toEqual(everything.map((m: { id: string }) => m.id));
  });
});
