import { localeFromEnvironment, type Locale } from '../shared/i18n/locale.js';
import { t, type PlainMessageKey } from '../shared/i18n/translate.js';

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
