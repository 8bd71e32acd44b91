/**
 * The languages robusto speaks and how a reader's language is chosen: from an HTTP
 * `Accept-Language` header for the API, from `LC_ALL`, `LC_MESSAGES` or `LANG` for the commands.
 * Portuguese in any variant (`pt`, `pt-BR`, `pt-PT`, `pt_BR.UTF-8`) is read as Brazilian
 * Portuguese, robusto's users' language; anything else gets English, the default.
 */

/** A language robusto has a catalogue for. */
export type Locale = 'en' | 'pt-BR';

/** The language of a reader who asks for none robusto has. */
export const DEFAULT_LOCALE: Locale = 'en';

/** The catalogue for a language tag or POSIX locale name (`pt-PT`, `pt_BR.UTF-8`, `en-US`), or undefined when robusto has none. */
function localeOfTag(tag: string): Locale | undefined {
  const language = tag
    .trim()
    .toLowerCase()
    .split(/[-_.@]/)[0];
  if (language === 'pt') return 'pt-BR';
  if (language === 'en') return 'en';
  return undefined;
}

/** Most language ranges of one header read; a longer list is cut, so a hostile header costs nothing. */
const MAX_RANGES = 32;

/**
 * The language to answer in for an `Accept-Language` header (RFC 9110): the range with the
 * highest quality robusto speaks, the first listed among equals; `q=0` rules a language out.
 * No header, a `*`, or only languages robusto lacks → English.
 *
 * @example
 * localeFromAcceptLanguage('fr-FR, pt;q=0.8, en;q=0.5'); // 'pt-BR'
 */
export function localeFromAcceptLanguage(header: string | undefined): Locale {
  if (!header) return DEFAULT_LOCALE;
  let best: Locale = DEFAULT_LOCALE;
  let bestQuality = 0;
  for (const range of header.split(',', MAX_RANGES)) {
    const [tag = '', ...parameters] = range.split(';');
    let quality = 1;
    for (const parameter of parameters) {
      const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(parameter);
      if (match) quality = Number(match[1]);
    }
    const locale = tag.trim() === '*' ? DEFAULT_LOCALE : localeOfTag(tag);
    if (locale !== undefined && quality > bestQuality) {
      best = locale;
      bestQuality = quality;
    }
  }
  return best;
}

/**
 * The language of a command's output, from its environment as POSIX reads it: `LC_ALL`, then
 * `LC_MESSAGES`, then `LANG`, the first one set and not empty (`pt_BR.UTF-8` → pt-BR; `C`,
 * `en_US.UTF-8` or nothing → English).
 */
export function localeFromEnvironment(env: Readonly<Record<string, string | undefined>>): Locale {
  const name = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((value) => value !== undefined && value !== '');
  return (name && localeOfTag(name)) || DEFAULT_LOCALE;
}
