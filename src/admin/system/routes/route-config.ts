/** What the routes about the whole installation need: an admin or owner who also holds the installation role. */
export const INSTALLATION = { permission: 'system' as const, installation: true };

/**
 * Routes of the installation role answered from this machine's files and memory alone (backups,
 * restarts, jobs), so they answer while the database is down.
 */
export const INSTALLATION_WITHOUT_DATABASE = { ...INSTALLATION, withoutDatabase: true };

/**
 * Routes of admins and owners (each sees their tenant's share, the installation role all of it)
 * answered from the journal or memory alone (the journal, dead letters, recent errors).
 */
export const TENANT_SHARE_WITHOUT_DATABASE = { permission: 'system' as const, withoutDatabase: true };

/** Seconds since `at` (ISO 8601), or null. */
export function ageOf(at: string | null): number | null {
  return at ? Math.round((Date.now() - Date.parse(at)) / 1000) : null;
}
