import { Writable } from 'node:stream';

/** A log sink that keeps nothing (the lazy-load child needs no log output). */
export class InMemory extends Writable {
  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    callback();
  }
}
