import { hasValidHmac } from './manifest-hmac.js';
import { BackupError, BackupErrorCode, type BackupManifest } from './manifest.js';

/** What can be said of whether a backup is the one robusto made, and what to do about it. */
export interface Authenticity {
  /**
   * Why the backup must not be trusted as it is, or undefined: `ERR_BACKUP_DAMAGED` (its HMAC
   * does not match: never restorable), `ERR_BACKUP_UNENCRYPTED` or `ERR_BACKUP_UNAUTHENTICATED`
   * (restorable only when the operator says so explicitly).
   */
  problem?: BackupError;
  /** A fact to tell without failing: a plain backup, checked where no key is set, cannot be authenticated. */
  note?: string;
}

/**
 * Whether `manifest` can be trusted: an encrypted backup's HMAC is checked with its key. A plain
 * backup has no HMAC (no key made it): where `BACKUP_ENCRYPTION_KEY` is set, every backup made
 * here is encrypted, so a plain one is refused as possibly forged; where none is set it passes
 * with a note. An encrypted backup whose key is missing or wrong is left to the key's own
 * problem (its HMAC cannot be checked).
 *
 * @param key the backup's key (from `keyOf`), or undefined when it is plain or its key is unknown.
 * @param passphrase `BACKUP_ENCRYPTION_KEY`, when set.
 */
export function authenticityOf(manifest: BackupManifest, dir: string, key: Buffer | undefined, passphrase: string | undefined): Authenticity {
  if (!manifest.encryption) {
    if (!passphrase)
      return {
        note: `the backup in ${dir} is not encrypted, so its manifest is not authenticated: anyone who could write to it could have changed it and its checksums together`,
      };
    return {
      problem: new BackupError(
        BackupErrorCode.UNENCRYPTED,
        `the backup in ${dir} is not encrypted although BACKUP_ENCRYPTION_KEY is set, so nothing proves robusto made it (anyone who could write to it could have forged it, checksums included); restore refuses it unless given --allow-unencrypted, once you are sure it is the one you made`,
      ),
    };
  }
  if (!key) return {};
  if (manifest.hmac === undefined) {
    return {
      problem: new BackupError(
        BackupErrorCode.UNAUTHENTICATED,
        `the manifest of the backup in ${dir} carries no HMAC (made by a robusto that did not authenticate manifests, or the HMAC was removed): its table files authenticate with the key, but its list of tables and schema version cannot be; restore refuses it unless given --allow-unauthenticated, once you are sure it is the one you made`,
      ),
    };
  }
  if (!hasValidHmac(manifest, key)) {
    return {
      problem: new BackupError(
        BackupErrorCode.DAMAGED,
        `the manifest of the backup in ${dir} does not match its HMAC: manifest.json was changed after the backup was made (or comes from another backup); do not restore it, use another backup`,
      ),
    };
  }
  return {};
}
