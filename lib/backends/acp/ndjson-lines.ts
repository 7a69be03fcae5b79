import { LipError } from '../../errors/index.js';

/** The longest line an agent may send (ACP agents are spawned with 1 MiB stdout lines). */
export const MAX_AGENT_LINE_BYTES = 1024 * 1024;

/**
 * Splits a byte stream into NDJSON lines. A line longer than `maxBytes` is a protocol fault
 * (an agent that floods one line would otherwise grow the buffer without bound), reported as
 * LIP_ERR_UPSTREAM_LIMIT_EXCEEDED; the caller ends the connection.
 */
export class NdjsonLines {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes = MAX_AGENT_LINE_BYTES) {}

  /** The complete lines in `chunk` (blank lines dropped); throws on an oversize line. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      this.check(this.size + piece.length);
      const line = this.size === 0 ? piece.toString('utf8') : Buffer.concat([...this.parts, piece]).toString('utf8');
      this.parts = [];
      this.size = 0;
      start = nl + 1;
      const text = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (text.trim() !== '') lines.push(text);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.check(this.size + rest.length);
      this.parts.push(Buffer.from(rest));
      this.size += rest.length;
    }
    return lines;
  }

  /** What is left when the stream ends (an unterminated last line). */
  end(): string[] {
    const text = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.size = 0;
    return text.trim() === '' ? [] : [text];
  }

  private check(size: number): void {
    if (size > this.maxBytes) {
      throw new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `agent sent a line longer than ${this.maxBytes} bytes`);
    }
  }
}
