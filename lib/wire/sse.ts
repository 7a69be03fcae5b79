/**
 * Server-Sent Events: the framing every streaming protocol here uses (WHATWG HTML, "Server-sent
 * events"). Small enough to own; the encoder side is on the hot path, so it builds one string
 * per frame and never re-parses anything.
 */

import { LipError } from '../errors/index.js';

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

/** The default of `http_client.max_line_bytes`: 16 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface SseParserOptions {
  /**
   * The longest line accepted, and the most data one message may accumulate over several
   * `data:` lines (default 16 MiB). Counted in UTF-16 code units of the decoded text, which
   * equals bytes for ASCII and undercounts multi-byte characters (at most 3x): a bound on
   * memory, not an exact byte count.
   */
  readonly maxLineBytes?: number;
}

/**
 * Incremental SSE parser: feed decoded text as it arrives, get complete messages back.
 * Handles `\n`, `\r\n` and `\r` line ends split across chunks, multi-line data, comments,
 * `id:` and a missing space after the colon. `retry:` is read and ignored.
 * On the hot path (no `\r` in the chunk, single-line `data:`) a frame costs two `indexOf`s and
 * two slices; nothing is scanned character by character. Only the new chunk is searched for
 * line ends, so a line that arrives in many pieces costs linear time, not quadratic, and about
 * its own length in memory however small the pieces.
 *
 * A line (or a message's data) longer than `maxLineBytes` throws
 * `LIP_ERR_UPSTREAM_LIMIT_EXCEEDED` as soon as the unfinished part grows past it.
 * @see spec/wire/sse.spec.ts
 */
export class SseParser {
  /**
   * The unfinished last line: what arrived since the last line end, as runs of pieces already
   * joined, then the latest pieces (at most RUN_PIECES, RUN_CHARS). Each string held costs a
   * header and an array slot besides its characters: a long line in 2-byte pieces, each kept as it
   * came, took 17 times its length.
   */
  private runs: string[] = [];
  private pieces: string[] = [];
  private piecesChars = 0;
  private pendingChars = 0;
  private event = '';
  /** The first data line, and the rest when a message has several (rare). */
  private data: string | undefined;
  private more: string[] | undefined;
  /** Characters of data the current message holds. */
  private dataChars = 0;
  private id: string | undefined;
  private pendingCR = false;
  private readonly maxLine: number;

  constructor(options: SseParserOptions = {}) {
    this.maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  push(chunk: string): SseMessage[] {
    const out: SseMessage[] = [];
    let start = 0;
    if (this.pendingCR) {
      // A \r ended the previous chunk; a \n starting this one belongs to it.
      if (chunk.charCodeAt(0) === 10) start = 1;
      if (chunk.length > 0) this.pendingCR = false;
    }
    if (chunk.indexOf('\r', start) === -1) {
      for (let nl = chunk.indexOf('\n', start); nl !== -1; nl = chunk.indexOf('\n', start)) {
        this.line(this.take(chunk, start, nl), out);
        start = nl + 1;
      }
    } else {
      start = this.scanMixed(chunk, start, out);
    }
    if (start < chunk.length) this.keep(start === 0 ? chunk : chunk.slice(start));
    return out;
  }

  /** Lines ended by \r, \r\n or \n; returns where the unfinished line starts. */
  private scanMixed(chunk: string, from: number, out: SseMessage[]): number {
    let start = from;
    for (let i = from; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(this.take(chunk, start, i), out);
      if (c === 13) {
        if (i + 1 === chunk.length) this.pendingCR = true;
        else if (chunk.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    return start;
  }

  /** The line ending at `end` of this chunk, joined to the pieces of it that came before. */
  private take(chunk: string, start: number, end: number): string {
    if (end - start + this.pendingChars > this.maxLine) throw lineTooLong(this.maxLine);
    const tail = chunk.slice(start, end);
    if (this.pendingChars === 0) return tail;
    this.pieces.push(tail);
    return this.unfinished();
  }

  private keep(piece: string): void {
    this.pendingChars += piece.length;
    if (this.pendingChars > this.maxLine) throw lineTooLong(this.maxLine);
    this.pieces.push(piece);
    this.piecesChars += piece.length;
    if (this.pieces.length < RUN_PIECES && this.piecesChars < RUN_CHARS) return;
    this.runs.push(this.pieces.length === 1 ? piece : this.pieces.join(''));
    this.pieces = [];
    this.piecesChars = 0;
  }

  /** The unfinished line whole; forgets it. */
  private unfinished(): string {
    let line = this.pieces.join('');
    if (this.runs.length > 0) {
      this.runs.push(line);
      line = this.runs.join('');
    }
    this.runs = [];
    this.pieces = [];
    this.piecesChars = 0;
    this.pendingChars = 0;
    return line;
  }

  /** Flushes a final message that was not followed by a blank line. */
  end(): SseMessage[] {
    const out: SseMessage[] = [];
    if (this.pendingChars > 0) this.line(this.unfinished(), out);
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
      this.dataChars = 0;
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
    this.dataChars += value.length + 1;
    if (this.dataChars > this.maxLine) {
      throw new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `an upstream message's data exceeded http_client.max_line_bytes (${this.maxLine} bytes)`);
    }
    if (this.data === undefined) this.data = value;
    else (this.more ??= []).push(value);
  }
}

/** When the latest pieces of an unfinished line are joined into one run: so many pieces, or so many characters. */
const RUN_PIECES = 256;
const RUN_CHARS = 64 * 1024;

function lineTooLong(limit: number): LipError {
  return new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `an upstream line exceeded http_client.max_line_bytes (${limit} bytes)`);
}
