import { DEFAULT_LOCALE, type Locale } from '../../shared/i18n/locale.js';
import { t, textIn, type LocalText } from '../../shared/i18n/translate.js';

/**
 * The result of one pre-flight check: a ✓ or ✗ line with, on ✗, how to fix it. `name`,
 * `detail` and `fix` are in English (the log, `--json`); `says` holds them as texts of the
 * catalogues, for the terminal in the reader's language.
 */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  says?: { readonly name: LocalText; readonly detail: LocalText | string; readonly fix?: LocalText };
}

/** A check whose name, detail and fix are texts of the catalogues (a detail may be a string written elsewhere, shown as it is). */
export function doctorCheck(name: LocalText, ok: boolean, detail: LocalText | string, fix?: LocalText): DoctorCheck {
  const english = (value: LocalText | string) => textIn(DEFAULT_LOCALE, value);
  return { name: english(name), ok, detail: english(detail), ...(fix ? { fix: english(fix) } : {}), says: { name, detail, ...(fix ? { fix } : {}) } };
}

/** A check as `--json` prints it: in English, without its texts. */
export function plainCheck({ name, ok, detail, fix }: DoctorCheck): Omit<DoctorCheck, 'says'> {
  return { name, ok, detail, ...(fix === undefined ? {} : { fix }) };
}

/** Prints checks one per line (`✓ name: detail` / `✗ name: detail` + `  fix: …`), in `locale`. */
export function renderChecks(checks: DoctorCheck[], locale: Locale = DEFAULT_LOCALE): string {
  return checks
    .map((c) => {
      const name = c.says ? textIn(locale, c.says.name) : c.name;
      const detail = c.says ? textIn(locale, c.says.detail) : c.detail;
      const fix = c.says?.fix ? textIn(locale, c.says.fix) : c.fix;
      return `${c.ok ? '✓' : '✗'} ${name}: ${detail}${!c.ok && fix ? `\n    ${t(locale, 'doctor.fixLabel')}: ${fix}` : ''}`;
    })
    .join('\n');
}
