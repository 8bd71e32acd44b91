// The commands write in the shell's language: LC_ALL, then LC_MESSAGES, then LANG
// (pt_BR.UTF-8 → Brazilian Portuguese, anything else → English). Run here where no robusto
// runs, so each command has something to say without a server: doctor's checks, status and
// restart saying nothing runs, and restart's report; migrate, tenant, user and journal on a
// SQLite database of their own.
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnRobusto } from '../support/spawn-robusto.js';

const PORTUGUESE = { LANG: 'pt_BR.UTF-8' };
const dataDirs: string[] = [];

async function run(
  args: string[],
  env: Record<string, string>,
  more: { dataDir?: string; stdin?: string } = {},
): Promise<{ code: number | null; output: string; dataDir: string }> {
  const command = await spawnRobusto({ args, env, ...more });
  dataDirs.push(command.dataDir);
  const code = await command.exited;
  return { code, output: command.output(), dataDir: command.dataDir };
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

  it('robusto migrate lists and applies its migrations in Portuguese, dates written the Brazilian way', async () => {
    const before = await run(['migrate', '--status'], PORTUGUESE);
    expect(before.code, before.output).toBe(0);
    expect(before.output).toMatch(/^pendente {2}system\/0001_create_system_settings$/m);
    const migrate = await run(['migrate'], PORTUGUESE, { dataDir: before.dataDir });
    expect(migrate.code, migrate.output).toBe(0);
    expect(migrate.output).toMatch(/^✓ migrações em dia$/m);
    const after = await run(['migrate', '--status'], PORTUGUESE, { dataDir: before.dataDir });
    expect(after.output).toMatch(/^aplicada \d{2}\/\d{2}\/\d{4},? \d{2}:\d{2}:\d{2} {2}system\/0001_create_system_settings$/m);
    expect(after.output).not.toMatch(/applied|pending/);
  }, 60_000);

  it('robusto tenant and user say in Portuguese what they made and what they refuse', async () => {
    const tenant = await run(['tenant', 'create', 'padaria-central', 'Padaria Central'], PORTUGUESE);
    expect(tenant.code, tenant.output).toBe(0);
    expect(tenant.output).toMatch(/^✓ empresa padaria-central criada \(id [0-9a-f-]{36}\)$/m);
    const at = { dataDir: tenant.dataDir };
    const refusals: Array<[string[], RegExp]> = [
      [['tenant', 'create', 'Padaria Central', 'X'], /^✗ o identificador "Padaria Central" não é válido: use letras minúsculas/m],
      [['tenant', 'create', 'padaria-central', 'De novo'], /^✗ Já existe uma organização com o slug "padaria-central"; escolha outro\.$/m],
      [
        ['user', 'create', '--tenant', 'padaria-central', '--email', 'x@y.z', '--role', 'deus', '--password-stdin'],
        /^✗ --role "deus" não é um papel; use um destes: /m,
      ],
      [
        ['user', 'create', '--tenant', 'padaria-central', '--email', 'sem-arroba', '--role', 'staff', '--password-stdin'],
        /^✗ --email "sem-arroba" não é um endereço de e-mail$/m,
      ],
      [
        ['user', 'create', '--tenant', 'nenhuma', '--email', 'x@y.z', '--role', 'staff', '--password-stdin'],
        /^✗ não há empresa "nenhuma"; crie-a com: robusto tenant create nenhuma "<nome>"$/m,
      ],
      [
        ['user', 'installation-admin', 'ninguem@padaria.com.br', '--tenant', 'padaria-central'],
        /^✗ não há usuário ninguem@padaria\.com\.br na empresa padaria-central$/m,
      ],
    ];
    for (const [args, said] of refusals) {
      const refused = await run(args, PORTUGUESE, { ...at, stdin: 'uma-senha-longa\n' });
      expect(refused.code, refused.output).toBe(1);
      expect(refused.output).toMatch(said);
    }
    const short = await run(['user', 'create', '--tenant', 'padaria-central', '--email', 'a@b.c', '--role', 'staff', '--password-stdin'], PORTUGUESE, {
      ...at,
      stdin: 'curta\n',
    });
    expect(short.output).toMatch(/^✗ a senha precisa ter pelo menos 8 caracteres$/m);

    const user = await run(
      ['user', 'create', '--tenant', 'padaria-central', '--email', 'maria@padaria.com.br', '--role', 'admin', '--password-stdin'],
      PORTUGUESE,
      { ...at, stdin: 's3gredo-da-padaria\n' },
    );
    expect(user.code, user.output).toBe(0);
    expect(user.output).toMatch(/^✓ usuário maria@padaria\.com\.br \(admin\) criado na empresa padaria-central \(id [0-9a-f-]{36}\)$/m);
    const grant = ['user', 'installation-admin', 'maria@padaria.com.br', '--tenant', 'padaria-central'];
    expect((await run(grant, PORTUGUESE, at)).output).toMatch(/^✓ maria@padaria\.com\.br \(admin de padaria-central\) tem o papel de instalação$/m);
    expect((await run(grant, PORTUGUESE, at)).output).toMatch(
      /^✓ maria@padaria\.com\.br \(admin de padaria-central\) tem o papel de instalação \(sem mudança\)$/m,
    );
    expect((await run([...grant, '--revoke'], PORTUGUESE, at)).output).toMatch(
      /^✓ maria@padaria\.com\.br \(admin de padaria-central\) não tem mais o papel de instalação; os servidores em execução percebem em até 5 s$/m,
    );
  }, 120_000);

  it('robusto journal status and dead-letters speak Portuguese; status --json stays in English', async () => {
    const status = await run(['journal', 'status'], PORTUGUESE);
    expect(status.code, status.output).toBe(0);
    expect(status.output).toMatch(/^diário .+$/m);
    expect(status.output).toMatch(/^ {2}pendentes: {2}0$/m);
    expect(status.output).toMatch(/^ {2}recusadas: {2}0$/m);
    expect(status.output).toMatch(/^ {2}gravável: {3}sim \(uma gravação de teste acabou de funcionar\)$/m);
    const json = await run(['journal', 'status', '--json'], PORTUGUESE, { dataDir: status.dataDir });
    expect(JSON.parse(json.output.slice(json.output.indexOf('{\n')))).toMatchObject({ pending: 0, deadLetters: 0, writable: true });
    const dead = await run(['journal', 'dead-letters'], PORTUGUESE, { dataDir: status.dataDir });
    expect(dead.output).toMatch(/^nenhuma gravação recusada$/m);
  }, 60_000);

  it('an invalid configuration is told in Portuguese, a line per variable, by any command and by doctor', async () => {
    const migrate = await run(['migrate'], { ...PORTUGUESE, PORT: 'x' });
    expect(migrate.code, migrate.output).toBe(1);
    expect(migrate.output).toMatch(/^robusto: configuração inválida; nada foi iniciado$/m);
    expect(migrate.output).toMatch(/^ {2}PORT: "x" não é válido; deve ser um número inteiro de 1 a 65535\. Exemplo: PORT=8000$/m);
    const doctor = await run(['doctor'], { ...PORTUGUESE, LOG_FORMAT: 'xml' });
    expect(doctor.output).toMatch(/^✗ configuração: LOG_FORMAT: "xml" não é válido; deve ser json ou pretty\. Exemplo: LOG_FORMAT=pretty$/m);
  }, 30_000);

  it("--help speaks the shell's language: headings, commands, options", async () => {
    const portuguese = await run(['user', 'create', '--help'], PORTUGUESE);
    expect(portuguese.code, portuguese.output).toBe(0);
    expect(portuguese.output).toMatch(/^Uso: robusto user create \[options\]$/m);
    expect(portuguese.output).toMatch(/^cria um usuário numa empresa; a senha é pedida, ou lida da entrada padrão$/m);
    expect(portuguese.output).toMatch(/^Opções:$/m);
    expect(portuguese.output).toMatch(/^ {2}--role <role> +um destes: owner, admin, staff, viewer$/m);
    expect(portuguese.output).toMatch(/^ {2}-h, --help +mostra a ajuda do comando$/m);
    const top = await run(['--help'], PORTUGUESE);
    expect(top.output).toMatch(/^Comandos:$/m);
    expect(top.output).toMatch(/^ {2}help \[command\] +mostra a ajuda de um comando$/m);
    const english = await run(['user', 'create', '--help'], {});
    expect(english.output).toMatch(/^Usage: robusto user create \[options\]$/m);
    expect(english.output).toMatch(/^ {2}--role <role> +one of owner, admin, staff, viewer$/m);
  }, 30_000);

  it("commander's refusals speak the shell's language with commander's exit code: an unknown option, a missing argument", async () => {
    const unknown = await run(['backup', '--dri', 'x'], PORTUGUESE);
    expect(unknown.code, unknown.output).toBe(1);
    expect(unknown.output).toMatch(/^erro: opção desconhecida '--dri'\n\(Você quis dizer --dir\?\)$/m);
    const missing = await run(['verify'], PORTUGUESE);
    expect(missing.code, missing.output).toBe(1);
    expect(missing.output).toMatch(/^erro: falta o argumento obrigatório 'dir'$/m);
    const english = await run(['backup', '--dri', 'x'], {});
    expect(english.code, english.output).toBe(1);
    expect(english.output).toMatch(/^error: unknown option '--dri'\n\(Did you mean --dir\?\)$/m);
  }, 30_000);

  it('robusto verify lists the problems of a damaged backup in Portuguese, and restore refuses it in Portuguese after its code', async () => {
    const backup = await run(['backup'], {}, { dataDir: (await run(['migrate'], {})).dataDir });
    expect(backup.code, backup.output).toBe(0);
    const backups = path.join(backup.dataDir, 'backups');
    const sound = path.join(backups, readdirSync(backups)[0] as string);
    const manifest = JSON.parse(readFileSync(path.join(sound, 'manifest.json'), 'utf8')) as { tables: Array<{ name: string; file: string; rows: number }> };
    const victim = [...manifest.tables].sort((a, b) => b.rows - a.rows)[0] as { name: string; file: string };
    const damaged = `${sound}-damaged`;
    cpSync(sound, damaged, { recursive: true });
    const bytes = readFileSync(path.join(damaged, victim.file));
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(path.join(damaged, victim.file), bytes);

    const verify = await run(['verify', damaged], PORTUGUESE);
    expect(verify.code, verify.output).toBe(1);
    expect(verify.output).toMatch(/^! o backup em .* não é cifrado, então seu manifesto não é autenticado: /m);
    expect(verify.output).toContain(`✗ ${victim.name} (${victim.file}): o SHA-256 é `);
    expect(verify.output).toMatch(/, o manifesto diz [0-9a-f]{64}: o arquivo foi alterado ou danificado$/m);
    expect(verify.output).not.toMatch(/altered or damaged|is not encrypted/);

    const restore = await run(['restore', damaged], PORTUGUESE);
    expect(restore.code, restore.output).toBe(1);
    expect(restore.output).toMatch(/^✗ ERR_BACKUP_DAMAGED: o backup em .* está danificado, nada foi restaurado: .*o arquivo foi alterado ou danificado$/m);
  }, 90_000);

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
