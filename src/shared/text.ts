/**
 * The form of a text that search and sorting use, the same on both engines: lower-case, without
 * accents. "José Ávila" → "jose avila", "Açúcar Cristal" → "acucar cristal".
 */
export function searchable(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase();
}

/** Escapes LIKE wildcards so a search for "50%" looks for the text "50%" (escape character `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
