import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Deepest directory chain `ensureDirectory` creates (a guard: real paths are far shorter). */
const MAX_NEW_DIRECTORIES = 64;

/**
 * Creates `dir` and its missing parents, one `mkdir` per level, from the deepest existing
 * ancestor down. Node's own `mkdirSync(dir, { recursive: true })` is not used: under `/proc`,
 * where `mkdir` answers ENOENT for a parent that exists, it loops forever and wedges the
 * process. Here every level is tried once, so any unusable path fails with the system's error.
 * Used for the SQLite continuity database and for the recording files.
 */
export function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    const found = statSync(at, { throwIfNoEntry: false });
    if (found) {
      if (!found.isDirectory()) throw new Error(`${at} is not a directory`);
      break;
    }
    if (dirname(at) === at || missing.length >= MAX_NEW_DIRECTORIES) throw new Error(`cannot create the directory ${dir}`);
    missing.push(at);
  }
  for (const at of missing.reverse()) mkdirSync(at);
}
