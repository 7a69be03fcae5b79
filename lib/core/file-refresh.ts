import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The first retry after a failed refresh of a downloaded file; each further failure doubles it, up to the interval. */
export const FIRST_RETRY_MS = 60_000;

/**
 * When to try again after `failures` failed refreshes in a row (1, 2, 4 ... minutes, never
 * longer than the refresh interval itself).
 *
 * ```ts
 * retryDelayMs(3, 24 * 3_600_000) // 240_000
 * ```
 */
export function retryDelayMs(failures: number, intervalMs: number): number {
  return Math.min(intervalMs, FIRST_RETRY_MS * 2 ** Math.min(Math.max(failures, 1) - 1, 20));
}

/**
 * Writes an accepted download where the next start reads it: a temporary file beside it, renamed
 * over it, so a reader never sees half a file. Throws what the file system throws.
 */
export function persistAtomically(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}
