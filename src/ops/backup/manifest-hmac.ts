import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical-json.js';
import type { BackupManifest } from './manifest.js';

/**
 * HKDF's label for the manifest's HMAC key. The files are encrypted with the backup's key itself;
 * the HMAC key is derived from it under this label, so the two keys differ and one never serves
 * the other's purpose.
 */
const HMAC_KEY_INFO = 'robusto backup manifest hmac';

/** The manifest's HMAC key: HKDF-SHA256 of the backup's key, salted with the backup's salt. */
function hmacKeyOf(backupKey: Buffer, salt: string): Buffer {
  return Buffer.from(hkdfSync('sha256', backupKey, Buffer.from(salt, 'base64'), HMAC_KEY_INFO, 32));
}

/**
 * The HMAC (base64) of every field of an encrypted backup's manifest but `hmac` itself: its
 * schema version, its tables (names, files, row counts, sizes, hashes, IVs, tags), its date and
 * its encryption parameters.
 */
export function manifestHmac(manifest: BackupManifest, backupKey: Buffer): string {
  const { hmac: _ignored, ...rest } = manifest;
  if (!manifest.encryption) throw new TypeError('only an encrypted backup has a key to authenticate its manifest with');
  return createHmac('sha256', hmacKeyOf(backupKey, manifest.encryption.salt)).update(canonicalJson(rest)).digest('base64');
}

/** True when the manifest's `hmac` is the one {@link manifestHmac} gives under `backupKey` (compared in constant time). */
export function hasValidHmac(manifest: BackupManifest, backupKey: Buffer): boolean {
  if (manifest.hmac === undefined) return false;
  const expected = Buffer.from(manifestHmac(manifest, backupKey), 'base64');
  const given = Buffer.from(manifest.hmac, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
