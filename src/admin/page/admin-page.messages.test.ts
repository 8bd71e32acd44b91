import { describe, expect, it } from 'vitest';
import { ADMIN_HTML, ADMIN_JS } from './admin-page.assets.js';
import { en } from '../../shared/i18n/en.js';
import { ADMIN_MESSAGES, ADMIN_MESSAGES_EN, ADMIN_MESSAGES_PT_BR } from './admin-page.messages.js';

const placeholders = (text: string) => [...text.matchAll(/\{([a-zA-Z]+)\}/g)].map((m) => m[1]).sort();

describe('the admin page catalogue', () => {
  it('has the same keys in pt-BR and English, none empty', () => {
    expect(Object.keys(ADMIN_MESSAGES_PT_BR).sort()).toEqual(Object.keys(ADMIN_MESSAGES_EN).sort());
    for (const messages of Object.values(ADMIN_MESSAGES)) for (const [key, text] of Object.entries(messages)) expect(text.trim(), key).not.toBe('');
  });

  it('puts the same values in each language of a text', () => {
    for (const [key, text] of Object.entries(ADMIN_MESSAGES_EN))
      expect(placeholders(ADMIN_MESSAGES_PT_BR[key as keyof typeof ADMIN_MESSAGES_EN]), key).toEqual(placeholders(text));
  });

  it('holds every text the page and its script name', () => {
    const named = [
      ...[...ADMIN_HTML.matchAll(/data-i18n="([^"]+)"/g)].map((m) => m[1]),
      ...[...ADMIN_JS.matchAll(/\bt\('([^']+)'[,)]/g)].map((m) => m[1]),
      ...[...ADMIN_JS.matchAll(/note\('#[a-z-]+', '([^']+)',/g)].map((m) => m[1]),
    ];
    expect(named.length).toBeGreaterThan(40);
    for (const key of named) expect(Object.keys(ADMIN_MESSAGES_EN), key).toContain(key);
  });

  it('names every phase a restart report can list, as the restart command does', () => {
    const phases = Object.keys(en.messages)
      .filter((key) => key.startsWith('restart.phase.'))
      .map((key) => key.slice('restart.phase.'.length));
    expect(phases).toHaveLength(6);
    for (const phase of phases) expect(Object.keys(ADMIN_MESSAGES_EN), phase).toContain(`restarts.phase.${phase}`);
  });

  it('serves the page in English until its script picks the language', () => {
    expect(ADMIN_HTML).toContain('<html lang="en">');
    expect(ADMIN_HTML).toContain(`<button type="submit" data-i18n="signIn.submit">${ADMIN_MESSAGES_EN['signIn.submit']}</button>`);
    expect(ADMIN_JS).toContain(JSON.stringify(ADMIN_MESSAGES_PT_BR['pending.replay']));
  });
});
