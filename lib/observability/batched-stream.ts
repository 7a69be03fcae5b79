import { Writable } from 'node:stream';

/**
 * A Writable that gathers everything written during one turn of the event loop and hands it to
 * `target` in a single write: under load the access log costs one system call per turn, not one
 * per request. `append(line)` joins the same batch without the Writable machinery (no Buffer, no
 * write callback, no tick per line): the access log's path. `flush()` writes what is pending at
 * once (shutdown, exit).
 */
export class BatchedStream extends Writable {
  private pending: (Buffer | string)[] = [];
  private scheduled = false;

  constructor(private readonly target: NodeJS.WritableStream) {
    super();
    process.once('exit', () => this.flush());
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

  flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    if (pending.length === 1) {
      this.target.write(pending[0]!);
      return;
    }
    this.target.write(pending.every((p) => typeof p === 'string') ? pending.join('') : Buffer.concat(pending.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    callback();
  }
}
