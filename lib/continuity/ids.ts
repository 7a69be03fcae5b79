import { randomFillSync } from 'node:crypto';
import { LipError } from '../errors/index.js';

/**
 * Identifiers of the continuity model: `a_` for A-legs, `b_` for B-legs, `s_` for the sessions
 * lip issues, then 32 hex digits: 48 bits of the creation time in milliseconds followed by 80
 * random bits (the layout of UUIDv7). Time first keeps new rows at the right edge of the SQLite
 * indexes (a batch dirties a few pages instead of one page per row); 80 random bits keep ids
 * unguessable. Random bytes are drawn from a pooled buffer, refilled 4 KiB at a time.
 *
 * An id is written as ASCII into a scratch buffer and read out once, so it is one flat string
 * (56 bytes of heap). Joining prefix, time and random part with `+` would leave a tree of
 * concatenated strings, and V8 flattens such a tree into a second copy the first time it is
 * hashed as a map key: about 100 bytes more for every id a store keeps.
 */
const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;
const ID_LENGTH = 34;
const scratch = Buffer.alloc(ID_LENGTH);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** The millisecond whose hex digits are in `scratch[2..14)` (ids made in the same millisecond share it). */
let lastMs = -1;

function hexId(prefix: string, now: number): string {
  if (offset + 10 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  if (now !== lastMs) {
    lastMs = now;
    // 48 bits of milliseconds, most significant digit first (the low 48 bits, as padStart(12) + slice(-12) gave).
    let rest = Math.max(0, Math.floor(now));
    for (let i = 13; i >= 2; i--) {
      scratch[i] = HEX[rest % 16]!;
      rest = Math.floor(rest / 16);
    }
  }
  scratch[0] = prefix.charCodeAt(0);
  scratch[1] = prefix.charCodeAt(1);
  for (let i = 0; i < 10; i++) {
    const byte = pool[offset + i]!;
    scratch[14 + 2 * i] = HEX[byte >> 4]!;
    scratch[15 + 2 * i] = HEX[byte & 15]!;
  }
  offset += 10;
  return scratch.toString('latin1', 0, ID_LENGTH);
}

/** `now`: the creation time to put in the id (a store's clock; the wall clock by default). */
export const newALegId = (now = Date.now()): string => hexId('a_', now);
export const newBLegId = (now = Date.now()): string => hexId('b_', now);
export const newSessionId = (now = Date.now()): string => hexId('s_', now);

/** The creation time (ms since the epoch) in the first 48 bits of an id lip made. */
export const idTime = (id: string): number => Number.parseInt(id.slice(2, 14), 16);

/** What a client may send as `X-LIP-Session-Id`: 1 to 128 of `A-Z a-z 0-9 . _ : -`. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Throws a 400 naming the header when a client-sent session id is not acceptable. */
export function checkSessionId(sessionId: string): void {
  if (!SESSION_ID_PATTERN.test(sessionId)) {
    throw new LipError('LIP_ERR_REQUEST_INVALID', 'X-LIP-Session-Id must be 1 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"', { param: 'X-LIP-Session-Id' });
  }
}

/** A principal is whoever authenticated ("local" in single-user mode); empty is a programming error. */
export function checkPrincipal(principal: string): void {
  if (typeof principal !== 'string' || principal.length === 0) {
    throw new LipError('LIP_ERR_SERVER_INTERNAL', 'continuity needs the request principal');
  }
}

/** Attempt reasons are for people reading lineage: one line, at most 512 characters. */
export function clipReason(reason: string | undefined): string | null {
  if (reason === undefined || reason === '') return null;
  const line = reason.replace(/\s+/g, ' ').trim();
  return line.length > 512 ? `${line.slice(0, 511)}…` : line;
}

/** The longest `candidate_key` or `model` an attempt row keeps (characters). */
export const MAX_ROW_TEXT = 256;
const ROW_TEXT_KEPT = 240;

/**
 * A row's `candidate_key` or `model` as stored: client text (the model a request named, up to
 * MAX_SELECTOR_INPUT_CHARS) past MAX_ROW_TEXT characters is cut to its first 240 and
 * `...(+N chars)`, N the characters left out, so that a row stays about the same size whatever
 * the client sent (a store caps rows by count). The cut is a copy of its own: a slice is a view
 * that keeps the whole original alive for as long as the row is kept.
 */
export function clipRowText(text: string): string {
  if (text.length <= MAX_ROW_TEXT) return text;
  // Never split a surrogate pair.
  const kept = ROW_TEXT_KEPT - (isHighSurrogate(text.charCodeAt(ROW_TEXT_KEPT - 1)) ? 1 : 0);
  return Buffer.from(`${text.slice(0, kept)}...(+${text.length - kept} chars)`, 'utf16le').toString('utf16le');
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
