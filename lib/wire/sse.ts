/**
 * Server-Sent Events: the framing every streaming protocol here uses (WHATWG HTML, "Server-sent
 * events"). Small enough to own; the encoder side is on the hot path, so it builds one string
 * per frame and never re-parses anything.
 */

/** One `data:` frame, optionally named. JSON payloads never contain raw newlines. */
export function sseFrame(data: string, event?: string): string {
  const body = data.includes('\n') ? data.split('\n').map((line) => `data: ${line}`).join('\n') : `data: ${data}`;
  return event === undefined ? `${body}\n\n` : `event: ${event}\n${body}\n\n`;
}

/** A JSON payload as one frame. */
export function sseJson(value: unknown, event?: string): string {
  return event === undefined ? `data: ${JSON.stringify(value)}\n\n` : `event: ${event}\ndata: ${JSON.stringify(value)}\n\n`;
}

/** A comment line; clients ignore it, proxies and load balancers see traffic. */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}

export const SSE_KEEPALIVE = sseComment('keepalive');

export interface SseMessage {
  /** `message` when the frame had no `event:` field. */
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

/**
 * Incremental SSE parser: feed decoded text as it arrives, get complete messages back.
 * Handles `\n`, `\r\n` and `\r` line ends split across chunks, multi-line data, comments,
 * `id:` and a missing space after the colon. `retry:` is read and ignored.
 * On the hot path (no `\r` in the text, single-line `data:`) a frame costs two `indexOf`s and
 * two slices; nothing is scanned character by character.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  /** The first data line, and the rest when a message has several (rare). */
  private data: string | undefined;
  private more: string[] | undefined;
  private id: string | undefined;
  private pendingCR = false;

  push(chunk: string): SseMessage[] {
    const out: SseMessage[] = [];
    let buf = this.buffer.length > 0 ? this.buffer + chunk : chunk;
    if (this.pendingCR) {
      // A \r ended the previous chunk; a \n starting this one belongs to it.
      if (buf.charCodeAt(0) === 10) buf = buf.slice(1);
      this.pendingCR = false;
    }
    let start = 0;
    if (buf.indexOf('\r') === -1) {
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n', start)) {
        this.line(buf.slice(start, nl), out);
        start = nl + 1;
      }
    } else {
      start = this.scanMixed(buf, out);
    }
    this.buffer = start === 0 ? buf : buf.slice(start);
    return out;
  }

  /** Lines ended by \r, \r\n or \n; returns where the unfinished line starts. */
  private scanMixed(buf: string, out: SseMessage[]): number {
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(buf.slice(start, i), out);
      if (c === 13) {
        if (i + 1 === buf.length) this.pendingCR = true;
        else if (buf.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    return start;
  }

  /** Flushes a final message that was not followed by a blank line. */
  end(): SseMessage[] {
    const out: SseMessage[] = [];
    if (this.buffer.length > 0) this.line(this.buffer, out);
    this.buffer = '';
    this.line('', out);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line.length === 0) {
      if (this.data !== undefined) {
        const data = this.more === undefined ? this.data : [this.data, ...this.more].join('\n');
        out.push(this.id === undefined ? { event: this.event || 'message', data } : { event: this.event || 'message', data, id: this.id });
      }
      this.event = '';
      this.data = undefined;
      this.more = undefined;
      return;
    }
    const first = line.charCodeAt(0);
    if (first === 58) return; // ':' comment
    if (first === 100 && line.startsWith('data:')) return this.addData(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.addData(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }

  private addData(value: string): void {
    if (this.data === undefined) this.data = value;
    else (this.more ??= []).push(value);
  }
}
