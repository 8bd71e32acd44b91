// Writes journaled by an older version of a command are replayed by the current code through the
// command's upcasters; one the code cannot read (a gap in the upcasters, or a newer version)
// becomes a dead letter naming both versions instead of being misread, and the writes behind it
// still apply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODULES } from '../../src/builtin-modules.js';
import { newId } from '../../src/shared/ids.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { fixtureSource } from '../support/fixtures.js';
import { spawnRobusto } from '../support/spawn-robusto.js';
import { ENGINES } from '../support/test-database.js';

describe.each(ENGINES)('command versions at replay on %s', (engine) => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine, modules: [...BUILTIN_MODULES, fixtureSource('versioned_notes')] });
    tenant = await createTenantWithUsers(t, 'versions');
  });
  afterAll(() => t.close());

  const journaled = (command: string, commandVersion: number, payload: unknown) =>
    t.app.journal.append({
      tenantId: tenant.id,
      userId: tenant.userIds.owner,
      idempotencyKey: `auto:${newId()}`,
      fingerprint: '',
      command,
      commandVersion,
      payload,
      requestId: `req-${newId()}`,
    });

  it('version 1 entries are upcast to version 2 and applied; without an upcaster, or from a newer version, they are dead letters naming both versions', async () => {
    const first = newId();
    const second = newId();
    const applied = [await journaled('versioned_notes.create', 1, { id: first, text: 'Reunião de pais\nSábado às 10h' })];
    const noUpcaster = await journaled('versioned_notes.tag', 1, { id: first, tag: 'escola' });
    const newer = await journaled('versioned_notes.create', 3, { id: newId(), title: 'x', body: 'y', color: 'blue' });
    applied.push(await journaled('versioned_notes.create', 2, { id: second, title: 'Matrícula', body: 'Trazer RG' }));

    const status = await spawnRobusto({ args: ['journal', 'status', '--json'], dataDir: t.config.paths.dataDir });
    expect(await status.exited).toBe(0);
    expect(JSON.parse(status.output()).pendingByCommand).toEqual([
      { command: 'versioned_notes.create', version: 1, pending: 1 },
      { command: 'versioned_notes.create', version: 2, pending: 1 },
      { command: 'versioned_notes.create', version: 3, pending: 1 },
      { command: 'versioned_notes.tag', version: 1, pending: 1 },
    ]);
    await status.destroy();

    expect(await t.app.replayer.drain()).toBe('drained');
    const notes = await t.app.db.kysely
      .selectFrom('versioned_notes' as never)
      .select(['id', 'title', 'body'] as never[])
      .where('tenant_id' as never, '=', tenant.id as never)
      .orderBy('title' as never)
      .execute();
    expect(notes).toEqual([
      { id: second, title: 'Matrícula', body: 'Trazer RG' },
      { id: first, title: 'Reunião de pais', body: 'Reunião de pais\nSábado às 10h' },
    ]);
    for (const receipt of applied) expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'applied', statusCode: 201 });
    expect(t.app.journal.byReceipt(tenant.id, noUpcaster)).toMatchObject({
      status: 'dead',
      lastErrorCode: 'ERR_REPLAY_VERSION_UNKNOWN',
      lastError: 'This write was accepted by version 1 of versioned_notes.tag; this robusto runs version 2 of it and has no upcaster from version 1 to 2.',
    });
    expect(t.app.journal.byReceipt(tenant.id, newer)).toMatchObject({
      status: 'dead',
      lastErrorCode: 'ERR_REPLAY_VERSION_UNKNOWN',
      lastError: expect.stringMatching(/version 3 of versioned_notes\.create; this robusto runs version 2/),
    });
  });
});
