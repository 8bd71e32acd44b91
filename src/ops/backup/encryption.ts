import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync, timingSafeEqual, type CipherGCM, type DecipherGCM } from 'node:crypto';

/** The cipher of encrypted backups: authenticated, so an altered file fails to decrypt instead of giving garbage. */
export const BACKUP_CIPHER = 'aes-256-gcm';
/**
 * scrypt's cost for the backup key: about 50 ms once per backup, and as much per guess. Fixed:
 * a manifest naming other values is refused, so a crafted one cannot make `verify` or `restore`
 * spend minutes or gigabytes deriving a key.
 */
export const BACKUP_SCRYPT = { N: 16_384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
/** Sizes the manifest's base64 values must decode to. */
export const BACKUP_SALT_BYTES = 16;
export const BACKUP_IV_BYTES = 12;
export const BACKUP_TAG_BYTES = 16;
const KEY_CHECK_LABEL = 'robusto backup key check';

/** How a backup was encrypted, as its manifest records it: no secret, only the salt, the cost and a check of the key. */
export interface BackupEncryption {
  cipher: typeof BACKUP_CIPHER;
  kdf: 'scrypt';
  salt: string;
  N: number;
  r: number;
  p: number;
  /** HMAC of a fixed label under the key: tells a wrong key from a damaged file before any file is read. */
  keyCheck: string;
}

/** A key derived for one backup, with what its manifest needs to derive and recognise it again. */
export interface BackupKey {
  key: Buffer;
  encryption: BackupEncryption;
}

function keyCheckOf(key: Buffer): string {
  return createHmac('sha256', key).update(KEY_CHECK_LABEL).digest('base64');
}

/** True when `value` is base64 of exactly `bytes` bytes. */
export function isBase64Of(value: unknown, bytes: number): boolean {
  return typeof value === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === bytes;
}

/** A new key for a backup, from `BACKUP_ENCRYPTION_KEY` and a fresh random salt. */
export function newBackupKey(passphrase: string): BackupKey {
  const salt = randomBytes(BACKUP_SALT_BYTES).toString('base64');
  const key = scryptSync(passphrase, salt, KEY_BYTES, BACKUP_SCRYPT);
  return { key, encryption: { cipher: BACKUP_CIPHER, kdf: 'scrypt', salt, ...BACKUP_SCRYPT, keyCheck: keyCheckOf(key) } };
}

/** The key of a backup made with `encryption` from `passphrase`, or undefined when it is not that backup's key. */
export function backupKeyOf(passphrase: string, encryption: BackupEncryption): Buffer | undefined {
  const key = scryptSync(passphrase, encryption.salt, KEY_BYTES, BACKUP_SCRYPT);
  const expected = Buffer.from(encryption.keyCheck, 'base64');
  const actual = Buffer.from(keyCheckOf(key), 'base64');
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? key : undefined;
}

/**
 * A cipher for one table file, and its IV (base64) for the manifest; the tag comes from
 * `getAuthTag()` once it has ended. The table's name is authenticated with it, so files swapped
 * between tables fail to decrypt.
 */
export function fileCipher(key: Buffer, table: string): { cipher: CipherGCM; iv: string } {
  const iv = randomBytes(BACKUP_IV_BYTES);
  const cipher = createCipheriv(BACKUP_CIPHER, key, iv, { authTagLength: BACKUP_TAG_BYTES });
  cipher.setAAD(Buffer.from(table));
  return { cipher, iv: iv.toString('base64') };
}

/** The decipher of one table file: it fails at the end if the file (or its table) is not the one encrypted. */
export function fileDecipher(key: Buffer, table: string, iv: string, tag: string): DecipherGCM {
  const decipher = createDecipheriv(BACKUP_CIPHER, key, Buffer.from(iv, 'base64'), { authTagLength: BACKUP_TAG_BYTES });
  decipher.setAAD(Buffer.from(table));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return decipher;
}
