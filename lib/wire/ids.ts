import { createHash, randomFillSync } from 'node:crypto';

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

/**
 * An id made from `seed` rather than at random: `prefix` + `length` (at most 32) base62 characters
 * of the seed's SHA-256. The same seed always gives the same id (an item of a stored response keeps its
 * id each time the response is shown), and the id does not give the seed away (a response id
 * that lets its holder read the response).
 *
 * ```ts
 * derivedId('msg_', 'resp_abc/output/0') // 'msg_' + 24 base62 characters, the same on every call
 * ```
 */
export function derivedId(prefix: string, seed: string, length = 24): string {
  const digest = createHash('sha256').update(seed).digest();
  let id = prefix;
  for (let i = 0; i < Math.min(length, digest.length); i++) id += ALPHABET[digest[i]! % 62];
  return id;
}
