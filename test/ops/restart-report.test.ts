// The safe restart's Markdown report in each language: a successful restart and a failed one,
// the same facts (phases, times, row counts) with the words of the language; the JSON record the
// API reads stays in English whatever the report's language.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { writeRestartReport, type RestartOutcome } from '../../src/ops/restart/restart-report.js';
import { text } from '../../src/shared/i18n/translate.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-report-'));
/** The settings the report names: where it goes, the data directory and the engine. */
const config = { engine: 'sqlite', paths: { dataDir, reportsDir: path.join(dataDir, 'reports') } } as unknown as Config;

const succeeded: RestartOutcome = {
  ok: true,
  stopped: true,
  steps: [
    { phase: 'find', ok: true, detail: text('restart.find.found', { pid: '4242' }), ms: 2 },
    { phase: 'journal', ok: true, detail: text('restart.journal.applied', { count: 3 }), ms: 120 },
  ],
  warnings: [text('restart.journal.leftWarning', { left: 1 })],
  counts: [{ table: 'students', backup: 12, atStop: 12, afterStart: 12 }],
  latencyMs: { health: [1.5, 2], api: {} },
  backupDir: '/var/backups/robusto-1',
  report: '',
};
const failed: RestartOutcome = {
  ...succeeded,
  ok: false,
  stopped: false,
  steps: [{ phase: 'find', ok: false, detail: text('restart.find.notRunning', { dataDir }), ms: 1 }],
  warnings: [],
  counts: [],
  latencyMs: { health: [], api: {} },
};

describe('the restart report', () => {
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is written in Portuguese when asked, with the same phases, times and counts as in English', () => {
    const at = new Date('2026-03-15T12:00:00.000Z');
    const pt = readFileSync(writeRestartReport(config, succeeded, at, 'pt-BR'), 'utf8');
    const en = readFileSync(writeRestartReport(config, succeeded, new Date(at.getTime() + 1), 'en'), 'utf8');
    expect(pt).toMatch(/^# robusto restart — SUCESSO\n/);
    expect(en).toMatch(/^# robusto restart — SUCCESS\n/);
    expect(pt).toContain('- todas as fases passaram');
    expect(pt).toContain('- aviso: 1 escrita(s) ainda esperavam no diário na parada');
    expect(en).toContain('- warning: 1 write(s) still waited in the journal at the stop');
    expect(pt).toContain('| localizar | ok | 2 ms | supervisor pid 4242 |');
    expect(pt).toContain('| diário | ok | 120 ms | 3 escrita(s) em espera aplicada(s) pelo servidor em execução antes da parada |');
    expect(en).toContain('| journal | ok | 120 ms | 3 waiting write(s) applied by the running server before the stop |');
    expect(pt).toContain('## Linhas por tabela');
    expect(pt).toContain('| students | 12 | 12 | 12 |');
    expect(pt).toContain('## Latência depois da partida');
    expect(pt).toContain('- /health: 1.5, 2 ms');
  });

  it('names the failed phase and that nothing was touched; its record for the API stays in English', () => {
    const file = writeRestartReport(config, failed, new Date('2026-03-16T12:00:00.000Z'), 'pt-BR');
    const report = readFileSync(file, 'utf8');
    expect(report).toMatch(/^# robusto restart — FALHA\n/);
    expect(report).toContain(`- falhou em **localizar**: o robusto não está rodando para ${dataDir}`);
    expect(report).toContain('— o servidor em execução não foi tocado');
    const withWarning = writeRestartReport(config, { ...failed, warnings: [text('restart.check.noOwner')] }, new Date('2026-03-17T12:00:00.000Z'), 'pt-BR');
    const record = JSON.parse(readFileSync(withWarning.replace(/\.md$/, '.json'), 'utf8')) as { warnings: string[]; failedAt: string };
    expect(record).toMatchObject({ failedAt: 'find', warnings: ['no active owner to run the API check as'] });
  });
});
