import { createCipheriv, createDecipheriv, randomBytes, scryptSync, type CipherGCM, type DecipherGCM } from 'node:crypto';

/** The cipher of encrypted backups: authenticated, so a wrong key or an altered file fails to decrypt instead of giving garbage. */
export const BACKUP_CIPHER = 'aes-256-gcm';
/** scrypt's cost for the backup key: about 50 ms once per backup, and as much per guess. */
const SCRYPT = { N: 16_384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const IV_BYTES = 12;

/** How a backup was encrypted, as its manifest records it (no secret: the salt and the cost). */
export interface BackupEncryption {
  cipher: typeof BACKUP_CIPHER;
  kdf: 'scrypt';
  salt: string;
  N: number;
  r: number;
  p: number;
}

/** A key derived for one backup, with what its manifest needs to derive it again. */
export interface BackupKey {
  key: Buffer;
  encryption: BackupEncryption;
}

/** A new key for a backup, from `BACKUP_ENCRYPTION_KEY` and a fresh random salt. */
export function newBackupKey(passphrase: string): BackupKey {
  const salt = randomBytes(SALT_BYTES).toString('base64');
  return { key: scryptSync(passphrase, salt, KEY_BYTES, SCRYPT), encryption: { cipher: BACKUP_CIPHER, kdf: 'scrypt', salt, ...SCRYPT } };
}

/** The key of a backup made with `encryption`, from the passphrase. */
export function backupKeyOf(passphrase: string, encryption: BackupEncryption): Buffer {
  return scryptSync(passphrase, encryption.salt, KEY_BYTES, { N: encryption.N, r: encryption.r, p: encryption.p });
}

/** A cipher for one table file, and its IV (base64) for the manifest; the tag comes from `getAuthTag()` once it has ended. */
export function fileCipher(key: Buffer): { cipher: CipherGCM; iv: string } {
  const iv = randomBytes(IV_BYTES);
  return { cipher: createCipheriv(BACKUP_CIPHER, key, iv), iv: iv.toString('base64') };
}

/** The decipher of one table file: it fails at the end if the key is wrong or the file was altered. */
export function fileDecipher(key: Buffer, iv: string, tag: string): DecipherGCM {
  const decipher = createDecipheriv(BACKUP_CIPHER, key, Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return decipher;
}
