import type { Database } from 'better-sqlite3';
import { LipError } from '../errors/index.js';
import { fairShareCuts } from './fair-share.js';
import { MIGRATIONS, migrate } from './sqlite-migrations.js';
import { fileIdentity, openDatabase, type FileIdentity } from './sqlite-database.js';
import { SqliteStatements } from './sqlite-statements.js';

/** How many rows of each table a database file holds. */
export interface RowCounts {
  readonly legs: number;
  readonly attempts: number;
  readonly responses: number;
}

/** SQLite busy timeouts, in milliseconds. */
export interface ConnectionTimeouts {
  /** While opening, migrating and taking the first read: another process may hold a lock a while. */
  readonly openMs: number;
  /** Afterwards, for every write: short, because a write holds up the event loop while it waits. */
  readonly busyMs: number;
}

/**
 * One open continuity database file: the better-sqlite3 handle, migrated to the newest schema,
 * its prepared statements, and the device and inode the path named when it was opened.
 *
 * The inode is what tells a store that its file is gone. A process keeps writing happily into
 * a file that was deleted (`rm -rf` of its directory) or replaced: SQLite in WAL mode does not
 * notice, and every record would vanish at the next restart. `isCurrent()` is one `stat` of the
 * path (a few microseconds), cheap enough to run before every batch write and on every
 * readiness check, both off the request path.
 * @see spec/continuity/sqlite-faults.spec.ts
 */
export class SqliteConnection {
  readonly sql: SqliteStatements;
  /** The A-legs the file held when opened: the first read of its rows, which a damaged file fails. */
  readonly legsAtOpen: number;

  private constructor(readonly path: string, readonly db: Database, private readonly identity: FileIdentity | undefined) {
    this.sql = new SqliteStatements(db);
    this.legsAtOpen = this.sql.countLegs();
  }

  /**
   * Opens, migrates, prepares and reads the A-leg count; throws `LIP_ERR_CONTINUITY_UNAVAILABLE`
   * naming the path (and leaves nothing open) when any step fails, a damaged file included.
   * No integrity check beyond that first read: `PRAGMA quick_check` reads the whole file
   * (about 250 ms per 100 MB), and a damaged page found later fails only the reads and writes
   * that touch it.
   */
  static open(path: string, timeouts: ConnectionTimeouts, now: () => number): SqliteConnection {
    const db = openDatabase(path, timeouts.openMs);
    try {
      migrate(db, MIGRATIONS, now);
      const conn = new SqliteConnection(path, db, path === ':memory:' ? undefined : fileIdentity(path));
      db.pragma(`busy_timeout = ${timeouts.busyMs}`);
      return conn;
    } catch (err) {
      db.close();
      throw err instanceof LipError ? err : new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `cannot prepare the continuity database ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** False when the path no longer names the file this connection writes (removed or replaced). */
  isCurrent(): boolean {
    if (this.identity === undefined) return true;
    let now: FileIdentity | undefined;
    try {
      now = fileIdentity(this.path);
    } catch {
      return false; // the directory itself is unreadable: as good as gone
    }
    return now !== undefined && now.dev === this.identity.dev && now.ino === this.identity.ino;
  }

  /**
   * In one transaction: deletes up to `batch` A-legs idle since `cutoff` (proxy-issued
   * sessions: since `sessionCutoff`; none with an attempt `running`, which does not expire),
   * then the A-legs past `maxLegs` by the fair-share rule
   * (the least recently seen of the largest holders, see fair-share.ts), then up to `batch`
   * responses saved before `cutoff` that nothing continues. Returns the deleted A-legs' ids, the
   * A-legs left, and whether another call may find more: a full batch of A-legs, or responses
   * deleted (whose expired predecessors nothing continues any more: a chain goes turn by turn).
   */
  prune(cutoff: number, sessionCutoff: number, maxLegs: number, batch: number, running: readonly string[] = []): { deleted: string[]; legs: number; more: boolean } {
    return this.db.transaction(() => {
      const deleted = this.sql.pruneIdle(cutoff, sessionCutoff, batch, running);
      const idle = deleted.length;
      const over = this.sql.countLegs() - maxLegs;
      if (over > 0) {
        const { counts, oldest } = this.sql.holdings();
        for (const [principal, count] of fairShareCuts(counts, over, oldest)) deleted.push(...this.sql.pruneOwn(principal, count));
      }
      const responses = this.sql.pruneResponses(cutoff, batch);
      return { deleted, legs: this.sql.countLegs(), more: idle === batch || responses > 0 };
    })();
  }

  /**
   * Gives the file's free pages back to the filesystem (a file made with incremental auto-vacuum;
   * a no-op for an older one). The file then shrinks at the next WAL checkpoint.
   */
  releaseFreePages(): void {
    if ((this.db.pragma('freelist_count', { simple: true }) as number) > 0) this.db.pragma('incremental_vacuum');
  }

  /** Row counts, read from the file this connection has open (even when it was deleted). */
  rowCounts(): RowCounts {
    const count = (table: string) => (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { legs: count('a_legs'), attempts: count('attempts'), responses: count('responses') };
  }

  /** Closes the handle; never throws (a handle on a deleted file may fail its last checkpoint). */
  close(): void {
    try {
      this.db.close();
    } catch {
      // nothing left to do with it
    }
  }
}
