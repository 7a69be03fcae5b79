import { open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ensureDirectory } from '../continuity/ensure-directory.js';

/** The reused encoding buffer of a writer (a longer line is written on its own). */
const WRITE_BUFFER_BYTES = 1024 * 1024;
/**
 * How long a drain waits before it writes, so that the lines of the exchanges ending meanwhile
 * share one write: a write costs some 20-40 µs of CPU (system call, thread pool, promise) however
 * small, so one per exchange would cost more than encoding it.
 */
const COALESCE_MS = 10;

/** Process-wide counts for the metrics (`lip_recording_*_total`), across reloads. */
export const RECORDING_COUNTS = {
  written: 0, dropped: 0, writeErrors: 0,
  /** Exchanges written with a part masked whole because its redaction threw (`redaction_failed`). */
  redactionFailures: 0,
};

export interface RecordingWriterOptions {
  readonly path: string;
  /** A file that would grow past this is rotated first (a longer single line gets a file of its own). */
  readonly maxFileBytes: number;
  /** Files kept: `path` and `path.1` … `path.(maxFiles-1)` (at a rotation, every `path.N` beyond that is deleted). */
  readonly maxFiles: number;
  /** Lines waiting beyond this are dropped and counted. */
  readonly queueSize: number;
  readonly logger?: { error(message: string, meta?: Record<string, unknown>): unknown; warn?(message: string, meta?: Record<string, unknown>): unknown };
  /** Milliseconds, for how often the file is checked to still be at `path` (default Date.now). */
  readonly now?: () => number;
}

/**
 * How often, at most, a writer checks that `path` still names the file it appends to (one
 * `stat` of each, before a batch): an outside tool that moved or deleted it (logrotate, an
 * operator freeing space) gets a new file at `path` within this time instead of lines appended
 * to a file nobody reads. Once a second costs nothing measurable; before every batch (up to 100
 * a second) it would cost two thread-pool calls each.
 */
const RECHECK_MS = 1_000;

/**
 * Appends JSON lines to a recording file off the request path: `push` only queues (bounded:
 * a full queue drops the line and counts it, never waits); one drain loop at a time writes
 * what is queued in a single write from one reused buffer, at most one write every
 * `COALESCE_MS`, rotating by size. A write error is logged once per outage (and its end once),
 * counted, and loses only that batch; the next batch opens the file again.
 */
export class RecordingWriter {
  written = 0;
  dropped = 0;
  writeErrors = 0;
  private queue: string[] = [];
  private handle: FileHandle | undefined;
  private buffer: Buffer | undefined;
  private size = 0;
  private draining: Promise<void> | undefined;
  /** Lines lost since the last write that worked (0: writes work; the first loss of an outage is logged). */
  private lostSinceLogged = 0;
  private closed = false;
  private holders = 0;
  /** Lines of the batch being written that are written (`write`). */
  private committed = 0;
  /** Bytes of the current `append` written so far (a failure after a short write keeps its whole lines). */
  private appended = 0;
  /** When `path` was last found to name the open file (`RECHECK_MS`). */
  private checkedAt = 0;

  constructor(private options: RecordingWriterOptions) {}

  /** The file this writer appends to. */
  get path(): string {
    return this.options.path;
  }

  /**
   * One more recorder writes through this writer, with the rotation and queue settings of its
   * config (the same path): a reload that keeps recording to one file keeps its one writer (two
   * writers on one file would each rotate it under the other). Each holder lets go with `release`.
   */
  hold(options: RecordingWriterOptions = this.options): this {
    if (options.path !== this.options.path) throw new Error(`a recording writer keeps its path (${this.options.path}, not ${options.path})`);
    this.options = options;
    this.holders++;
    return this;
  }

  /** A holder is done: what is queued is written, and the last holder's release closes the writer. */
  async release(): Promise<void> {
    this.holders = Math.max(0, this.holders - 1);
    await (this.holders === 0 ? this.close() : this.flush());
  }

  /** Whether the writer was closed (its last holder let go): every line pushed now is dropped. */
  isClosed(): boolean {
    return this.closed;
  }

  /** Whether a line pushed now would be queued (callers skip serialising one that would be dropped). */
  accepting(): boolean {
    return !this.closed && this.queue.length < this.options.queueSize;
  }

  /** How many more lines would be queued now (callers skip serialising those that would be dropped). */
  room(): number {
    return this.closed ? 0 : Math.max(0, this.options.queueSize - this.queue.length);
  }

  /** Counts a line that was dropped before it was made. */
  drop(): void {
    this.dropped++;
    RECORDING_COUNTS.dropped++;
  }

  /** Queues one line (without its newline); false when it was dropped. */
  push(line: string): boolean {
    if (!this.accepting()) {
      this.drop();
      return false;
    }
    this.queue.push(line);
    this.draining ??= this.drain().finally(() => { this.draining = undefined; });
    return true;
  }

  /** Resolves when everything queued so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Writes what is queued, then closes the file; later lines are dropped. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // Off the request's path, and a moment later each time: the lines pushed meanwhile (and
      // during the last write) share the write.
      await new Promise<void>((resolve) => setTimeout(resolve, COALESCE_MS));
      const batch = this.queue;
      this.queue = [];
      try {
        await this.write(batch);
        this.written += batch.length;
        RECORDING_COUNTS.written += batch.length;
        if (this.lostSinceLogged > 0) {
          // The outage is over: said once, and the next one is logged again.
          this.options.logger?.warn?.('recording writes work again', { path: this.options.path, lost: this.lostSinceLogged });
          this.lostSinceLogged = 0;
        }
      } catch (err) {
        // The lines written before the failure are written; the rest of the batch is lost.
        const lost = batch.length - this.committed;
        this.written += this.committed;
        RECORDING_COUNTS.written += this.committed;
        this.writeErrors += lost;
        RECORDING_COUNTS.writeErrors += lost;
        await this.handle?.close().catch(() => undefined);
        this.handle = undefined;
        if (this.lostSinceLogged === 0) {
          this.options.logger?.error('recording write failed; exchanges are lost until it works again (logged once until then)', {
            path: this.options.path, error: String((err as Error)?.message ?? err),
          });
        }
        this.lostSinceLogged += lost;
      }
    }
  }

  /**
   * Writes a batch; `this.committed` counts its lines already written when a later write of
   * the batch fails (what the drain loop counts as written, the rest as lost).
   */
  private async write(lines: readonly string[]): Promise<void> {
    // Lines are encoded into one buffer, reused batch after batch: one write per batch (or per
    // buffer-full), no buffer allocated per line. A line's UTF-8 size is at most 3 bytes per
    // UTF-16 unit; its exact size is only counted when that bound could reach the rotation size.
    const buffer = (this.buffer ??= Buffer.allocUnsafe(WRITE_BUFFER_BYTES));
    this.committed = 0;
    if (this.handle !== undefined && this.clock() - this.checkedAt >= RECHECK_MS && !(await this.stillAtPath())) {
      await this.handle.close().catch(() => undefined);
      this.handle = undefined;
    }
    let used = 0;
    /** Lines in the buffer, not yet written. */
    let buffered = 0;
    const writeBuffer = async () => {
      try {
        used = await this.append(buffer, used);
      } catch (err) {
        // A short write before the failure: the whole lines it took are in the file.
        for (let i = 0; i < this.appended; i++) if (buffer[i] === 0x0a) this.committed++;
        throw err;
      }
      this.committed += buffered;
      buffered = 0;
    };
    for (const line of lines) {
      if (this.handle === undefined) await this.openFile();
      const bound = line.length * 3 + 1;
      if (this.size + used + bound > this.options.maxFileBytes) {
        const bytes = Buffer.byteLength(line) + 1;
        if (this.size + used + bytes > this.options.maxFileBytes && this.size + used > 0) {
          await writeBuffer();
          await this.rotate();
        }
      }
      if (used + bound > buffer.length) await writeBuffer();
      if (bound > buffer.length) {
        const own = Buffer.from(`${line}\n`, 'utf8');
        await this.append(own, own.length);
        this.committed++;
        continue;
      }
      used += buffer.write(line, used, 'utf8');
      buffer[used++] = 0x0a;
      buffered++;
    }
    await writeBuffer();
  }


  /** Writes the first `bytes` of `buffer` (none: nothing); answers 0, the buffer's new fill. */
  private async append(buffer: Buffer, bytes: number): Promise<0> {
    // A write may take fewer bytes than asked (a disk that is filling up): the rest is written
    // next, and the one after a short write usually fails (ENOSPC), which the drain loop reports.
    this.appended = 0;
    while (this.appended < bytes) {
      const { bytesWritten } = await this.handle!.write(buffer, this.appended, bytes - this.appended);
      if (bytesWritten <= 0) throw new Error(`wrote no byte of ${bytes - this.appended} to ${this.options.path}`);
      this.appended += bytesWritten;
      this.size += bytesWritten;
    }
    return 0;
  }

  private async openFile(): Promise<void> {
    // Not `mkdir({ recursive: true })`: under /proc it never returns (see ensureDirectory).
    ensureDirectory(dirname(this.options.path));
    this.handle = await open(this.options.path, 'a');
    const st = await this.handle.stat();
    this.size = st.size;
    this.checkedAt = this.clock();
    // Only a regular file can hold a cut line (not a FIFO, a terminal, /dev/stdout).
    if (st.isFile() && st.size > 0) await this.cutPartialLine();
  }

  /**
   * Removes a last line that has no newline, if there is one (a crash or a disk that filled mid-write cut it):
   * appended to, it would glue the next line to the cut one, a bad line in the middle of the
   * file that `lip replay` refuses (the replay skips a cut last line, so nothing that could be
   * replayed is lost). Logged, as the loss of that exchange; during an outage quietly: the line
   * its last short write cut (batch after batch, on a full disk) is among the lines it lost, and
   * the outage is logged once.
   */
  private async cutPartialLine(): Promise<void> {
    let reader;
    try {
      reader = await open(this.options.path, 'r');
    } catch {
      return; // a file lip may append to but not read: left as it is
    }
    let end = this.size;
    try {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await reader.read(chunk, 0, 1, end - 1);
      if (bytesRead === 1 && chunk[0] === 0x0a) return;
      while (end > 0) {
        const from = Math.max(0, end - chunk.length);
        const { bytesRead: got } = await reader.read(chunk, 0, end - from, from);
        const newline = chunk.subarray(0, got).lastIndexOf(0x0a);
        if (newline >= 0) {
          end = from + newline + 1;
          break;
        }
        end = from;
      }
    } finally {
      await reader.close();
    }
    await this.handle!.truncate(end);
    if (this.lostSinceLogged === 0) {
      this.options.logger?.error('recording: removed a cut last line (a crash or a failed write left it) before appending', {
        path: this.options.path, bytes: this.size - end,
      });
    }
    this.size = end;
  }

  /** Whether `path` still names the open file (not moved, deleted or replaced from outside). */
  private async stillAtPath(): Promise<boolean> {
    this.checkedAt = this.clock();
    try {
      const [atPath, ours] = await Promise.all([stat(this.options.path), this.handle!.stat()]);
      return atPath.ino === ours.ino && atPath.dev === ours.dev;
    } catch {
      return false;
    }
  }

  private clock(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * `path.(n-1)` -> `path.n` … `path` -> `path.1`, then a fresh `path`. Every `path.N` that would
   * move to `path.(max_files)` or past it is removed, those a larger `max_files` left (lowered by a
   * reload or a restart) included; the rotated files are found in one read of the directory, so
   * only those that are there are moved.
   */
  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const { path, maxFiles } = this.options;
    const rotated = await rotatedFiles(path);
    for (const n of rotated) if (n >= maxFiles - 1) await rm(`${path}.${n}`, { force: true });
    for (const n of rotated) if (n < maxFiles - 1) await rename(`${path}.${n}`, `${path}.${n + 1}`).catch(ignoreMissing);
    if (maxFiles <= 1) await rm(path, { force: true });
    else await rename(path, `${path}.1`).catch(ignoreMissing);
    await this.openFile();
  }
}

/** The N of every rotated file `path.N` beside `path`, highest first. */
async function rotatedFiles(path: string): Promise<number[]> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(ignoreMissingDirectory);
  return names.filter((name) => name.startsWith(prefix) && /^[1-9][0-9]*$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length))).sort((a, b) => b - a);
}

function ignoreMissingDirectory(err: NodeJS.ErrnoException): string[] {
  if (err.code !== 'ENOENT') throw err;
  return [];
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
