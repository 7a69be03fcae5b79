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
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private pendingCR = false;

  push(chunk: string): SseMessage[] {
    const out: SseMessage[] = [];
    let text = chunk;
    if (this.pendingCR) {
      // A \r ended the previous chunk; a \n starting this one belongs to it.
      if (text.startsWith('\n')) text = text.slice(1);
      this.pendingCR = false;
    }
    let buf = this.buffer + text;
    let start = 0;
    for (;;) {
      let end = -1;
      let next = 0;
      for (let i = start; i < buf.length; i++) {
        const c = buf.charCodeAt(i);
        if (c === 10) { end = i; next = i + 1; break; }
        if (c === 13) {
          end = i;
          if (i + 1 < buf.length) next = buf.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
          else { next = i + 1; this.pendingCR = true; }
          break;
        }
      }
      if (end < 0) break;
      this.line(buf.slice(start, end), out);
      start = next;
    }
    this.buffer = start === 0 ? buf : buf.slice(start);
    buf = '';
    return out;
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
      if (this.data.length > 0) {
        const message: SseMessage = { event: this.event || 'message', data: this.data.join('\n') };
        out.push(this.id === undefined ? message : { ...message, id: this.id });
      }
      this.event = '';
      this.data = [];
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}
