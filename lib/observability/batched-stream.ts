import { Writable } from 'node:stream';

/** The largest write a pipe keeps whole (POSIX's minimum; Linux's value). */
const PIPE_BUF = 4096;
/** What may wait for a target that does not take it (a reader of stdout that stopped) before lines are dropped. */
export const MAX_HELD_LOG_BYTES = 16 * 1024 * 1024;

export interface BatchedStreamOptions {
  /** Other processes write to the same target: whole lines, at most PIPE_BUF bytes a write, one write at a time. */
  readonly shared?: boolean;
  /** Bytes the target may hold unwritten before batches are dropped (MAX_HELD_LOG_BYTES). */
  readonly maxHeldBytes?: number;
  /** The line (with its newline) that says `dropped` lines were left out, written once the target takes lines again. */
  readonly droppedNotice?: (dropped: number) => string;
}

/**
 * A Writable that gathers everything written during one turn of the event loop and hands it to
 * `target` in a single write: under load the access log costs one system call per turn, not one
 * per request. `append(line)` joins the same batch without the Writable machinery (no Buffer, no
 * write callback, no tick per line): the access log's path. `flush()` writes what is pending at
 * once (shutdown, exit).
 *
 * `shared`: other processes write to the same target (the workers of `lip serve --workers`
 * share the primary's standard output, usually a pipe). A pipe keeps a write whole only up to
 * PIPE_BUF (4096 bytes); a larger one that meets a full pipe goes in parts, and another
 * process's write can land between them, in the middle of a line. A shared stream therefore
 * writes whole lines, at most 4096 bytes at a time (a longer line in a write of its own), and
 * one write at a time: Node would otherwise join the writes waiting for a full pipe into one
 * large `writev`, which splits again.
 *
 * A target that stops taking lines (a pipe nobody reads, a stalled log shipper) would otherwise
 * hold every line in the process, without bound: once `maxHeldBytes` wait unwritten (the target's
 * own queue and a shared stream's pieces), each turn's batch is dropped and its lines counted,
 * and when the target has taken half of that back, `droppedNotice` says how many were lost
 * before the next batch. Serving never waits for the log.
 * @see spec/observability/access-log.spec.ts
 */
export class BatchedStream extends Writable {
  private pending: (Buffer | string)[] = [];
  private scheduled = false;
  private readonly pieceBytes: number | undefined;
  /** A shared stream's pieces not yet handed to the target, and whether one is being written. */
  private pieces: Buffer[] = [];
  private piecesBytes = 0;
  private writing = false;
  private readonly maxHeldBytes: number;
  private readonly droppedNotice: ((dropped: number) => string) | undefined;
  /** Lines dropped since the target last took lines. */
  private dropped = 0;

  constructor(private readonly target: NodeJS.WritableStream, options: BatchedStreamOptions = {}) {
    super();
    this.pieceBytes = options.shared ? PIPE_BUF : undefined;
    this.maxHeldBytes = options.maxHeldBytes ?? MAX_HELD_LOG_BYTES;
    this.droppedNotice = options.droppedNotice;
    process.once('exit', () => this.flush(true));
  }

  /** Bytes handed on but not yet written by the target (0 for a target written synchronously: a file, a terminal). */
  private held(): number {
    return ((this.target as { writableLength?: number }).writableLength ?? 0) + this.piecesBytes;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(chunk);
    this.schedule();
    callback();
  }

  /** Adds one complete line (or lines) to the batch, in order with what was written. */
  append(text: string): void {
    if (this.destroyed || this.writableEnded) return;
    this.pending.push(text);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is pending; `exiting`: everything at once (the process ends in this turn). */
  flush(exiting = false): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = [];
    if (exiting && this.pieces.length > 0) {
      pending.unshift(...this.pieces);
      this.pieces = [];
      this.piecesBytes = 0;
    }
    if (pending.length === 0) return;
    if (!exiting && (this.dropped > 0 || this.held() >= this.maxHeldBytes)) {
      if (this.held() > this.maxHeldBytes / 2) {
        for (const p of pending) this.dropped += countLines(p);
        return;
      }
      if (this.droppedNotice !== undefined) pending.unshift(this.droppedNotice(this.dropped));
      this.dropped = 0;
    }
    const batch = pending.length === 1 ? pending[0]!
      : pending.every((p) => typeof p === 'string') ? pending.join('') : Buffer.concat(pending.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    if (this.pieceBytes === undefined || exiting) {
      this.target.write(batch);
      return;
    }
    for (const piece of cutLines(typeof batch === 'string' ? Buffer.from(batch) : batch, this.pieceBytes)) {
      this.pieces.push(piece);
      this.piecesBytes += piece.length;
    }
    this.pump();
  }

  /** Writes the next piece of a shared stream once the previous one is written. */
  private pump(): void {
    if (this.writing) return;
    const piece = this.pieces.shift();
    if (piece === undefined) return;
    this.piecesBytes -= piece.length;
    this.writing = true;
    this.target.write(piece, () => {
      this.writing = false;
      this.pump();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    callback();
  }
}

/** The lines in `text` (its newlines). */
function countLines(text: Buffer | string): number {
  let count = 0;
  if (typeof text === 'string') {
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count++;
  } else {
    for (let at = text.indexOf(0x0a); at >= 0; at = text.indexOf(0x0a, at + 1)) count++;
  }
  return count;
}

/** `bytes` in pieces of whole lines, each at most `max` bytes (a longer line is a piece of its own). */
function cutLines(bytes: Buffer, max: number): Buffer[] {
  const out: Buffer[] = [];
  for (let start = 0; start < bytes.length;) {
    let end = start + max;
    if (end >= bytes.length) end = bytes.length;
    else {
      const lastLineEnd = bytes.lastIndexOf(0x0a, end - 1);
      if (lastLineEnd >= start) end = lastLineEnd + 1;
      else {
        const next = bytes.indexOf(0x0a, end);
        end = next < 0 ? bytes.length : next + 1;
      }
    }
    out.push(bytes.subarray(start, end));
    start = end;
  }
  return out;
}
