import type { CommanderError } from 'commander';
import { localeFromEnvironment, type Locale } from '../shared/i18n/locale.js';
import { countedText, render, t, type PlainMessageKey } from '../shared/i18n/translate.js';

/**
 * The language a command writes in, from its shell as POSIX reads it (`LC_ALL`, then
 * `LC_MESSAGES`, then `LANG`): `pt_BR.UTF-8` → Brazilian Portuguese, anything else → English.
 */
export function commandLocale(): Locale {
  return localeFromEnvironment(process.env);
}

/** A key of the catalogues for a line of `--help`. */
type HelpKey = Extract<PlainMessageKey, `help.${string}`>;

/** A line of `--help` (a command's, an option's or an argument's description) in the shell's language. */
export function helpText(key: HelpKey): string {
  return t(commandLocale(), key);
}

/** The headings commander writes in `--help` ("Usage:", "Options:"…), in the shell's language. */
const HELP_TITLES: Readonly<Record<string, HelpKey>> = {
  'Usage:': 'help.title.usage',
  'Options:': 'help.title.options',
  'Commands:': 'help.title.commands',
  'Arguments:': 'help.title.arguments',
  'Global Options:': 'help.title.globalOptions',
};

/** A heading of `--help` in the shell's language; one commander adds later is shown as it is. */
export function helpTitle(title: string): string {
  const key = HELP_TITLES[title];
  return key ? helpText(key) : title;
}

/** Commander's "(Did you mean …?)" line after an unknown option or command, in the shell's language. */
function suggestionIn(locale: Locale, suggestion: string | undefined): string {
  const names = suggestion === undefined ? undefined : /^\n\(Did you mean (one of )?(.+)\?\)$/.exec(suggestion);
  if (!names) return suggestion ?? '';
  return `\n${t(locale, names[1] ? 'cli.refusal.didYouMeanOneOf' : 'cli.refusal.didYouMean', { names: names[2] ?? '' })}`;
}

/** The reason commander gives after an invalid value: its list of choices in the shell's language, any other as it is. */
function reasonIn(locale: Locale, reason: string): string {
  const choices = /^Allowed choices are (.+)\.$/.exec(reason);
  return choices ? t(locale, 'cli.refusal.choices', { choices: choices[1] ?? '' }) : reason;
}

/**
 * Readers of commander's refusals, by `CommanderError.code`: the values commander puts in its
 * English message, written again from the catalogue. Commander hands its hooks only that message.
 */
const REFUSALS: Readonly<Record<string, { pattern: RegExp; write: (locale: Locale, found: string[]) => string }>> = {
  'commander.unknownOption': {
    pattern: /^error: unknown option '(.*?)'(\n[\s\S]*)?$/,
    write: (locale, [option = '', suggestion]) => t(locale, 'cli.refusal.unknownOption', { option }) + suggestionIn(locale, suggestion),
  },
  'commander.unknownCommand': {
    pattern: /^error: unknown command '(.*?)'(\n[\s\S]*)?$/,
    write: (locale, [command = '', suggestion]) => t(locale, 'cli.refusal.unknownCommand', { command }) + suggestionIn(locale, suggestion),
  },
  'commander.missingArgument': {
    pattern: /^error: missing required argument '(.*)'$/,
    write: (locale, [argument = '']) => t(locale, 'cli.refusal.missingArgument', { argument }),
  },
  'commander.optionMissingArgument': {
    pattern: /^error: option '(.*)' argument missing$/,
    write: (locale, [option = '']) => t(locale, 'cli.refusal.optionMissingArgument', { option }),
  },
  'commander.missingMandatoryOptionValue': {
    pattern: /^error: required option '(.*)' not specified$/,
    write: (locale, [option = '']) => t(locale, 'cli.refusal.missingMandatoryOption', { option }),
  },
  'commander.excessArguments': {
    pattern: /^error: too many arguments(?: for '(.*?)')?\. Expected (\d+) arguments? but got (\d+): ([\s\S]*)\.$/,
    write: (locale, [command = 'robusto', expected = '0', received = '0', details = '']) =>
      render(locale, countedText('cli.refusal.excessArguments', Number(expected), { command, received: Number(received), details })),
  },
  'commander.invalidArgument': {
    pattern:
      /^error: (?:option '(.*?)' argument '([\s\S]*?)'|command-argument value '([\s\S]*?)' is invalid for argument '(.*?)')(?: is invalid)?\. ([\s\S]*)$/,
    write: (locale, [option, optionValue = '', value = '', argument = '', reason = '']) =>
      option === undefined
        ? t(locale, 'cli.refusal.invalidArgument', { value, argument, reason: reasonIn(locale, reason) })
        : t(locale, 'cli.refusal.invalidOption', { option, value: optionValue, reason: reasonIn(locale, reason) }),
  },
};

/**
 * One of commander's refusals (an unknown option or command, a missing argument or option value,
 * too many arguments, an invalid value: `error.code` says which) in the shell's language. A
 * refusal this does not know, or worded otherwise by another commander version, is shown as
 * commander wrote it.
 */
export function commanderRefusal(error: CommanderError): string {
  const reader = REFUSALS[error.code];
  const found = reader?.pattern.exec(error.message);
  return reader && found ? reader.write(commandLocale(), found.slice(1)) : error.message;
}
