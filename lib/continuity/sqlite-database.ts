import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { LipError } from '../errors/index.js';
import { ensureDirectory } from './ensure-directory.js';

/** The native addon is loaded on first use, so `store: memory` never pays for it. */
let sqlite: typeof BetterSqlite3 | undefined;
const loadSqlite = () => (sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3);

const PERMANENT = /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/;

/** Errors a retry cannot fix, for this one record: constraint violations, bad values. */
export function isPermanentSqliteError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? PERMANENT.test(code) : err instanceof TypeError || err instanceof RangeError;
}

/** Device and inode of the file at `path`; undefined when there is none. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

export function fileIdentity(path: string): FileIdentity | undefined {
  const found = statSync(path, { throwIfNoEntry: false });
  return found ? { dev: found.dev, ino: found.ino } : undefined;
}

/**
 * Opens (creating it and its directory when missing) the continuity database: incremental
 * auto-vacuum when the file is new (pruning gives its free pages back to the filesystem), WAL journal,
 * `synchronous = NORMAL` (commits do not fsync, checkpoints do), foreign keys on, the given busy
 * timeout, and a 32 MiB page cache so that the hot index pages stay in memory. Any failure is a
 * `LIP_ERR_CONTINUITY_UNAVAILABLE` naming the path: a startup error for `lip serve`.
 * @see spec/continuity/sqlite-store.spec.ts
 */
export function openDatabase(path: string, busyTimeoutMs: number): Database {
  let db: Database | undefined;
  try {
    if (path !== ':memory:') ensureDirectory(dirname(resolve(path)));
    db = new (loadSqlite())(path, { timeout: busyTimeoutMs });
    db.pragma('auto_vacuum = INCREMENTAL'); // takes effect on a new file only (an old one needs a VACUUM)
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // WAL: commits do not fsync, checkpoints do
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -32768'); // 32 MiB of page cache: the hot indexes stay in memory
    return db;
  } catch (err) {
    db?.close();
    throw new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `cannot open the continuity database ${path}: ${(err as Error).message}`, { cause: err });
  }
}
