import type { en } from './en.js';

/** Every message key of the catalogues. */
export type MessageKey = keyof typeof en.messages;

/** Every error code the catalogues give a title and a meaning. */
export type CatalogueCode = keyof typeof en.codes;

/**
 * What one language's catalogue holds: a title and a meaning for each error code and a text for
 * each message key, exactly the keys of the English one (a missing or extra key does not compile).
 */
export interface Catalogue {
  readonly codes: { readonly [C in CatalogueCode]: { readonly title: string; readonly meaning: string } };
  readonly messages: { readonly [K in MessageKey]: string };
}
