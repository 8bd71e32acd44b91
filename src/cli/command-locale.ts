import { localeFromEnvironment, type Locale } from '../shared/i18n/locale.js';

/**
 * The language a command writes in, from its shell as POSIX reads it (`LC_ALL`, then
 * `LC_MESSAGES`, then `LANG`): `pt_BR.UTF-8` → Brazilian Portuguese, anything else → English.
 */
export function commandLocale(): Locale {
  return localeFromEnvironment(process.env);
}
