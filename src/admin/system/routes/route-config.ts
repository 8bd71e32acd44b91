/** What the routes about the whole installation need: an admin or owner who also holds the installation role. */
export const INSTALLATION = { permission: 'system' as const, installation: true };

/** The operations' routes: the installation role, and they read this machine's files and memory only, so they answer while the database is down. */
export const OPERATIONS = { ...INSTALLATION, withoutDatabase: true };

/** The journal's routes: admins and owners (each sees their tenant's share), answered from the journal alone. */
export const JOURNAL = { permission: 'system' as const, withoutDatabase: true };

/** Seconds since `at` (ISO 8601), or null. */
export function ageOf(at: string | null): number | null {
  return at ? Math.round((Date.now() - Date.parse(at)) / 1000) : null;
}
