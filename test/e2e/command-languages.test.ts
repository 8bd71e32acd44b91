// The commands write in the shell's language: LC_ALL, then LC_MESSAGES, then LANG
// (pt_BR.UTF-8 → Brazilian Portuguese, anything else → English). Run here where no robusto
// runs, so each command has something to say without a server: doctor's checks, status and
// restart saying nothing runs, and restart's report.
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnRobusto } from '../support/spawn-robusto.js';

const PORTUGUESE = { LANG: 'pt_BR.UTF-8' };
const dataDirs: string[] = [];

async function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const command = await spawnRobusto({ args, env });
  dataDirs.push(command.dataDir);
  const code = await command.exited;
  return { code, output: command.output() };
}

describe('the commands speak the language of the shell', () => {
  afterAll(() => {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('robusto restart prints its phase lines and writes its report in Portuguese under LANG=pt_BR.UTF-8', async () => {
    const { code, output } = await run(['restart'], PORTUGUESE);
    expect(code, output).toBe(1);
    expect(output).toMatch(/^✗ localizar: o robusto não está rodando para .* \(nenhum supervisor vivo no arquivo de pid\): inicie-o com "robusto start"$/m);
    expect(output).toMatch(/^ {2}o servidor em execução não foi tocado$/m);
    const report = readFileSync(/^relatório: (.+)$/m.exec(output)?.[1] ?? '', 'utf8');
    expect(report).toMatch(/^# robusto restart — FALHA\n/);
    expect(report).toContain('- falhou em **localizar**: o robusto não está rodando para');
    expect(report).toContain('| fase | resultado | tempo | detalhe |');
    expect(report).toContain('| localizar | FALHOU |');
  }, 30_000);

  it('the same restart in English, and LC_ALL=C over a Portuguese LANG, says it as before', async () => {
    const shells: Array<Record<string, string>> = [{}, { LANG: 'en_US.UTF-8' }, { LC_ALL: 'C', LANG: 'pt_BR.UTF-8' }];
    for (const env of shells) {
      const { code, output } = await run(['restart'], env);
      expect(code, output).toBe(1);
      expect(output).toMatch(/^✗ find: robusto is not running for .*: start it with "robusto start"$/m);
      expect(output).toMatch(/^ {2}the running server was not touched$/m);
      expect(readFileSync(/^report: (.+)$/m.exec(output)?.[1] ?? '', 'utf8')).toMatch(/^# robusto restart — FAILURE\n/);
    }
  }, 60_000);

  it('robusto status and reload say in Portuguese that nothing runs; LC_MESSAGES counts when LC_ALL is unset', async () => {
    const status = await run(['status'], { LC_MESSAGES: 'pt_BR.UTF-8', LANG: 'en_US.UTF-8' });
    expect(status.code, status.output).toBe(1);
    expect(status.output).toMatch(/^o robusto não está rodando \(nenhum estado em .*robusto\.status\.json\)$/m);
    const reload = await run(['reload'], PORTUGUESE);
    expect(reload.code, reload.output).toBe(1);
    expect(reload.output).toMatch(/^✗ nenhum supervisor do robusto rodando para .* \(inicie-o com "robusto start"\)$/m);
  }, 30_000);

  it('robusto prune says in Portuguese what is wrong with its option', async () => {
    const prune = await run(['prune', '--keep-days', 'trinta'], PORTUGUESE);
    expect(prune.code, prune.output).toBe(1);
    expect(prune.output).toMatch(/^✗ --keep-days "trinta" não é um número inteiro de dias; por exemplo --keep-days 30$/m);
  }, 30_000);

  it('robusto doctor prints its checks in Portuguese, and --json stays in English for scripts', async () => {
    const doctor = await run(['doctor'], PORTUGUESE);
    expect(doctor.output).toMatch(/^✓ node: Node\.js \S+ \(exige >=\d+\)$/m);
    expect(doctor.output).toMatch(/^✓ pacote fastify: instalado$/m);
    expect(doctor.output).toMatch(/^✓ configuração: válida \(motor sqlite, porta \d+, dados em .*\)$/m);
    expect(doctor.output).toMatch(/^✓ banco de dados: ainda não há banco em .*robusto\.db: robusto start o cria$/m);
    expect(doctor.output).toMatch(/^✓ todas as verificações passaram$/m);
    expect(doctor.output).not.toMatch(/installed|all checks passed/);

    const json = await run(['doctor', '--json'], PORTUGUESE);
    const report = JSON.parse(json.output) as { checks: Array<{ name: string; detail: string; says?: unknown }> };
    expect(report.checks).toContainEqual({ name: 'package fastify', ok: true, detail: 'installed' });
    expect(report.checks.every((check) => check.says === undefined)).toBe(true);
  }, 60_000);
});
