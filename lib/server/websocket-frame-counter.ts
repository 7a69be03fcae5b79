/**
 * Follows a WebSocket client's bytes frame by frame (RFC 6455 section 5.2), reading only the
 * frame headers, to tell how much of a message has arrived before `ws` hands it over whole: the
 * payload and the bytes on the wire (headers too) of the data frames since the last message
 * ended. Control frames (ping, pong, close), which may come between a message's fragments, are
 * no message's. Validation is `ws`'s (a malformed frame closes the connection there); this only
 * counts.
 *
 * ```ts
 * const frames = new FrameCounter();
 * frames.push(chunk);       // any piece of the stream, cut anywhere
 * frames.payload;           // payload bytes of the message in progress (0: none)
 * frames.ended;             // messages ended so far
 * ```
 * @see spec/server/websocket-frame-counter.spec.ts
 */
export class FrameCounter {
  /** Payload bytes of the message in progress. */
  payload = 0;
  /** Bytes on the wire of the message in progress: its data frames' headers and payloads. */
  wire = 0;
  /** Messages that ended so far (a data frame with FIN read whole). */
  ended = 0;
  /** The header of the frame being read (at most 14 bytes: 2, 8 of length, 4 of mask). */
  private readonly header = Buffer.alloc(14);
  private have = 0;
  private need = 2;
  /** Payload bytes of the current frame still to come. */
  private left = 0;
  private control = false;
  private fin = false;

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - i);
        this.left -= n;
        i += n;
        if (!this.control) {
          this.payload += n;
          this.wire += n;
        }
        if (this.left === 0) this.frameEnded();
        continue;
      }
      const byte = chunk[i++]!;
      this.header[this.have++] = byte;
      if (this.have === 1) {
        this.fin = (byte & 0x80) !== 0;
        this.control = (byte & 0x08) !== 0;
      } else if (this.have === 2) {
        const length = byte & 0x7f;
        this.need = 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + ((byte & 0x80) !== 0 ? 4 : 0);
      }
      if (!this.control) this.wire++;
      if (this.have < this.need) continue;
      const length7 = this.header[1]! & 0x7f;
      // Past 2^53 - 1 `ws` closes the connection (1009) anyway.
      this.left = length7 === 126 ? this.header.readUInt16BE(2) : length7 === 127 ? Number(this.header.readBigUInt64BE(2)) : length7;
      this.have = 0;
      this.need = 2;
      if (this.left === 0) this.frameEnded();
    }
  }

  private frameEnded(): void {
    if (this.control || !this.fin) return;
    this.payload = 0;
    this.wire = 0;
    this.ended++;
  }
}
