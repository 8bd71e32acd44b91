import { Command, CommanderError, Option } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commanderRefusal } from './command-locale.js';

/** The refusal commander raises for `args`, on a command with an option of choices, an argument and a required one. */
function refusalOf(args: string[]): CommanderError {
  const program = new Command('robusto').exitOverride().configureOutput({ outputError: () => undefined });
  program
    .command('pick')
    .argument('<dir>')
    .addOption(new Option('--engine <name>').choices(['sqlite', 'postgres']))
    .requiredOption('--to <path>')
    .action(() => undefined);
  try {
    program.parse(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error;
    throw error;
  }
  throw new Error(`no refusal for ${args.join(' ')}`);
}

describe("commander's refusals in the shell's language", () => {
  afterEach(() => vi.unstubAllEnvs());

  it('are written as commander writes them in English', () => {
    vi.stubEnv('LC_ALL', 'C');
    for (const args of [['pick', 'a', '--to', 'x', '--engine', 'mysql'], ['pick', 'a', 'b', '--to', 'x'], ['pick', 'a'], ['pick', '--to'], ['pikc']]) {
      const refusal = refusalOf(args);
      expect(commanderRefusal(refusal)).toBe(refusal.message);
    }
  });

  it('are written in Portuguese under LANG=pt_BR.UTF-8, an invalid value and its choices too', () => {
    vi.stubEnv('LC_ALL', '');
    vi.stubEnv('LC_MESSAGES', '');
    vi.stubEnv('LANG', 'pt_BR.UTF-8');
    expect(commanderRefusal(refusalOf(['pick', 'a', '--to', 'x', '--engine', 'mysql']))).toBe(
      "erro: o valor 'mysql' da opção '--engine <name>' é inválido. Os valores aceitos são sqlite, postgres.",
    );
    expect(commanderRefusal(refusalOf(['pick', 'a', 'b', '--to', 'x']))).toBe(
      "erro: argumentos demais para 'pick'. Esperava 1 argumento, mas recebeu 2: a, b.",
    );
    expect(commanderRefusal(refusalOf(['pick', 'a']))).toBe("erro: a opção obrigatória '--to <path>' não foi dada");
    expect(commanderRefusal(refusalOf(['pick', 'a', '--to']))).toBe("erro: falta o valor da opção '--to <path>'");
    expect(commanderRefusal(refusalOf(['pikc']))).toBe("erro: comando desconhecido 'pikc'\n(Você quis dizer pick?)");
    expect(commanderRefusal(refusalOf(['pick', 'a', '--to', 'x', '--tu']))).toBe("erro: opção desconhecida '--tu'\n(Você quis dizer --to?)");
  });

  it('show a refusal worded otherwise as commander wrote it', () => {
    vi.stubEnv('LANG', 'pt_BR.UTF-8');
    expect(commanderRefusal(new CommanderError(1, 'commander.unknownOption', 'error: something new'))).toBe('error: something new');
  });
});
