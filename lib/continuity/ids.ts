import { randomFillSync } from 'node:crypto';
import { LipError } from '../errors/index.js';

/**
 * Identifiers of the continuity model: `a_` for A-legs, `b_` for B-legs, `s_` for the sessions
 * lip issues, then 32 hex digits: 48 bits of the creation time in milliseconds followed by 80
 * random bits (the layout of UUIDv7). Time first keeps new rows at the right edge of the SQLite
 * indexes (a batch dirties a few pages instead of one page per row); 80 random bits keep ids
 * unguessable. Random bytes are drawn from a pooled buffer, refilled 4 KiB at a time.
 */
const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;
/** The time part of the ids made in the same millisecond (a request makes several). */
let lastMs = -1;
let lastTime = '';

function hexId(prefix: string): string {
  if (offset + 10 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.toString('hex', offset, offset + 10);
  offset += 10;
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = now.toString(16).padStart(12, '0').slice(-12);
  }
  return `${prefix}${lastTime}${random}`;
}

export const newALegId = (): string => hexId('a_');
export const newBLegId = (): string => hexId('b_');
export const newSessionId = (): string => hexId('s_');

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
