import { Writable } from 'node:stream';

/**
 * A Writable that gathers everything written during one turn of the event loop and hands it to
 * `target` in a single write: under load the access log costs one system call per turn, not one
 * per request. `flush()` writes what is pending at once (shutdown, exit).
 */
export class BatchedStream extends Writable {
  private pending: Buffer[] = [];
  private scheduled = false;

  constructor(private readonly target: NodeJS.WritableStream) {
    super();
    process.once('exit', () => this.flush());
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(chunk);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    callback();
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.target.write(data);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    callback();
  }
}
