import { v7 } from 'uuid';

/**
 * A new id: a UUIDv7, so ids sort by creation time (keyset pagination and index locality
 * like an auto-increment, without a central counter).
 */
export function newId(): string {
  return v7();
}

/** Tells whether a string is a UUID (any version), as ids in URLs must be. */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
