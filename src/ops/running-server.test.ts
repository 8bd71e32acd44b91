import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { render } from '../shared/i18n/translate.js';
import { findRunningServer, ServerSettingsError, settingDifferences } from './running-server.js';
import { launchFileOf, pidFileOf } from './supervisor-files.js';

const configIn = (cwd: string, env: Record<string, string>) => loadConfig(env, { cwd, ignoreDotEnv: true, readOnly: true }).config;

/** A DATA_DIR whose pid file names this (live) process, with the launch record given. */
function dataDirServedBy(record: object): string {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'robusto-running-'));
  const dataDir = path.join(cwd, 'data');
  mkdirSync(dataDir);
  writeFileSync(pidFileOf(dataDir), `${process.pid}\n`);
  writeFileSync(launchFileOf(dataDir), JSON.stringify({ pid: process.pid, cwd, ...record }));
  return dataDir;
}

describe('the running server as the operations commands see it', () => {
  it('names each setting the shell says otherwise, with both values, and only those', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'robusto-diff-'));
    const server = configIn(cwd, { PORT: '19600', DATABASE_URL: 'postgres://app:s3cret@db.local:5432/erp' });
    const shell = configIn(cwd, {});
    expect(settingDifferences(shell, server).map((line) => render('en', line))).toEqual([
      "PORT: the running server uses 19600, this shell's environment says 8000; the server's is used",
      `DATABASE_URL: the running server uses postgres://app:***@db.local:5432/erp, this shell's environment says (unset: SQLite in ${path.join(cwd, 'data', 'robusto.db')}); the server's is used`,
    ]);
    expect(settingDifferences(shell, server).map((line) => render('pt-BR', line))).toEqual([
      'PORT: o servidor em execução usa 19600, o ambiente deste terminal diz 8000; vale o do servidor',
      `DATABASE_URL: o servidor em execução usa postgres://app:***@db.local:5432/erp, o ambiente deste terminal diz (não definida: SQLite em ${path.join(cwd, 'data', 'robusto.db')}); vale o do servidor`,
    ]);
    expect(settingDifferences(server, server)).toEqual([]);
  });

  it("reads the server's settings from what it recorded in DATA_DIR, relative paths from its own folder, creating nothing", () => {
    const dataDir = dataDirServedBy({ env: { PORT: '19601', BACKUP_DIR: './copies' } });
    const cwd = path.dirname(dataDir);
    const before = readdirSync(dataDir).sort();
    const shell = loadConfig({ DATA_DIR: dataDir }, { cwd: os.tmpdir(), ignoreDotEnv: true, readOnly: true }).config;
    const server = findRunningServer(shell);
    expect(server?.pid).toBe(process.pid);
    expect(server?.config.port).toBe(19601);
    expect(server?.config.paths.backupsDir).toBe(path.join(cwd, 'copies'));
    expect(server?.differences.map((d) => render('en', d).split(':')[0])).toEqual(['PORT', 'BACKUP_DIR']);
    expect(readdirSync(dataDir).sort()).toEqual(before);
  });

  it("says so when the server's recorded settings no longer load", () => {
    const dataDir = dataDirServedBy({ env: { PORT: 'eighty' } });
    const shell = loadConfig({ DATA_DIR: dataDir }, { ignoreDotEnv: true, readOnly: true }).config;
    expect(() => findRunningServer(shell)).toThrow(ServerSettingsError);
    expect(() => findRunningServer(shell)).toThrow(/PORT: "eighty" is not valid/);
    try {
      findRunningServer(shell);
    } catch (error) {
      expect(render('pt-BR', (error as ServerSettingsError).text)).toMatch(
        /^as configurações do servidor em execução \(iniciado em .+\) não carregam mais: PORT: "eighty" não é válido; deve ser um número inteiro de 1 a 65535\. Exemplo: PORT=8000; corrija o \.env ou o ambiente dele primeiro$/,
      );
    }
  });

  it('finds nothing when no live supervisor is named', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'robusto-none-'));
    expect(findRunningServer(configIn(cwd, {}))).toBeUndefined();
  });
});
