import { randomFillSync } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** Room for the characters of one id (the longest id lip makes is 48 characters). */
const chars = Buffer.allocUnsafe(256);

/**
 * A random id like the providers' own (`chatcmpl-` + 24 base62 characters). Random bytes come
 * from a pooled buffer refilled 4 KiB at a time, so an id costs no system call on the hot path,
 * and the characters are gathered in a scratch buffer and read out as one string (no string per
 * character). Ids only need to be unique, not secret; rejection sampling keeps the alphabet
 * unbiased.
 */
export function randomId(prefix: string, length = 24): string {
  if (length > chars.length) return randomId(prefix, chars.length) + randomId('', length - chars.length);
  for (let at = 0; at < length;) {
    if (offset >= POOL_SIZE) {
      randomFillSync(pool);
      offset = 0;
    }
    const byte = pool[offset++]!;
    if (byte < 248) chars[at++] = ALPHABET.charCodeAt(byte % 62);
  }
  return prefix + chars.toString('latin1', 0, length);
}
