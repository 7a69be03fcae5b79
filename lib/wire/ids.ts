import { randomFillSync } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * A random id like the providers' own (`chatcmpl-` + 24 base62 characters). Random bytes come
 * from a pooled buffer refilled 4 KiB at a time, so an id costs no system call on the hot path.
 * Ids only need to be unique, not secret; rejection sampling keeps the alphabet unbiased.
 */
export function randomId(prefix: string, length = 24): string {
  let out = prefix;
  while (out.length < prefix.length + length) {
    if (offset >= POOL_SIZE) {
      randomFillSync(pool);
      offset = 0;
    }
    const byte = pool[offset++]!;
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}
