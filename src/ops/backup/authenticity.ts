import { text, type LocalText } from '../../shared/i18n/translate.js';
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
  note?: LocalText;
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
        note: text('backup.note.plain', { dir }),
      };
    return {
      problem: new BackupError(BackupErrorCode.UNENCRYPTED, text('backup.error.unencrypted', { dir })),
    };
  }
  if (!key) return {};
  if (manifest.hmac === undefined) {
    return {
      problem: new BackupError(BackupErrorCode.UNAUTHENTICATED, text('backup.error.unauthenticated', { dir })),
    };
  }
  if (!hasValidHmac(manifest, key)) {
    return {
      problem: new BackupError(BackupErrorCode.DAMAGED, text('backup.error.hmacMismatch', { dir })),
    };
  }
  return {};
}
