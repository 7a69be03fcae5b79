import type { Writable } from 'node:stream';
import winston from 'winston';
import { BatchedStream } from './batched-stream.js';

export type Logger = winston.Logger;

export interface LoggerOptions {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly format: 'json' | 'text';
  /** Where lines go; stdout (batched per event-loop turn) by default. Tests pass a stream to read them back. */
  readonly stream?: Writable;
  /** Other processes write to the same stdout (`lip serve --workers`): lines are written so that they never interleave (BatchedStream). */
  readonly shared?: boolean;
  readonly silent?: boolean;
}

const textLine = winston.format.printf((info) => {
  const { level, message, timestamp, ...rest } = info as Record<string, unknown>;
  return `${String(timestamp)} ${String(level).toUpperCase().padEnd(5)} ${String(message)}${textFields(rest)}`;
});

/** Where a logger made by createLogger writes, for lines that bypass winston's pipeline (the access log). */
export interface LineSink {
  readonly stream: NodeJS.WritableStream;
  /** Writes one line straight into the batch (set when the stream is lip's own BatchedStream). */
  readonly append?: (line: string) => void;
  readonly format: 'json' | 'text';
  readonly silent: boolean;
}

const sinks = new WeakMap<Logger, LineSink>();

/** The sink of a logger made by createLogger (undefined for any other logger). */
export function lineSinkOf(logger: Logger): LineSink | undefined {
  return sinks.get(logger);
}

/** Client text (a model name) in a log line is cut to this many characters. */
export const LOG_TEXT_LIMIT = 1024;

/**
 * `text` cut to `max` characters, saying how many were left out (`...…(+2977 chars)`), so that
 * a line stays well below the 16 KiB at which log shippers split lines (Docker's json-file
 * driver) even when every character is escaped (`\u0007`, 6 bytes). The cut is a copy: a slice
 * would keep the whole original alive wherever the result is kept.
 */
export function clipText(text: string, max = LOG_TEXT_LIMIT): string {
  if (text.length <= max) return text;
  return `${prefixCopy(text, max)}…(+${text.length - max} chars)`;
}

/**
 * The first `max` characters of `text` as a string of its own: V8 makes a slice a view that
 * keeps the whole original alive wherever the slice is kept (a span in an export queue, a log
 * batch).
 */
export function prefixCopy(text: string, max: number): string {
  return text.length <= max ? text : Buffer.from(text.slice(0, max), 'utf16le').toString('utf16le');
}

/** White space, control characters (C0, DEL, C1) and format characters (bidi overrides, zero widths). */
const UNSAFE = /[\s\p{Cc}\p{Cf}]/u;
/** What JSON.stringify leaves raw of those: DEL, C1, format characters, line and paragraph separators. */
const RAW_AFTER_JSON = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu;
const escapeRaw = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `time LEVEL message k=v ...`: the text format, shared by winston's printf and the access log.
 * A value with white space, control or format characters is a JSON string literal with every
 * such character escaped: a client's model name cannot write terminal escapes (ESC, C1 CSI),
 * backspaces or bidi overrides into a line a person reads, nor break it in two.
 */
export function textFields(rest: Record<string, unknown>): string {
  let out = '';
  for (const key in rest) {
    const value = rest[key];
    if (value === undefined) continue;
    out += ` ${key}=${typeof value === 'string' && !UNSAFE.test(value) ? value : JSON.stringify(value)?.replace(RAW_AFTER_JSON, escapeRaw)}`;
  }
  return out;
}

/**
 * One line as winston writes it, built without winston: JSON (`level`, `message`, the fields,
 * `timestamp`) or the text format. For the lines every request pays for (the access log) and
 * for lines about the log itself.
 */
export function formatLine(format: 'json' | 'text', level: 'info' | 'warn', message: string, fields: Record<string, unknown>): string {
  const timestamp = new Date().toISOString();
  if (format === 'json') {
    const json = JSON.stringify(fields);
    return `{"level":"${level}","message":${JSON.stringify(message)},${json.slice(1, -1)}${json.length > 2 ? ',' : ''}"timestamp":"${timestamp}"}\n`;
  }
  return `${timestamp} ${level.toUpperCase().padEnd(5)} ${message}${textFields(fields)}\n`;
}

/** One logger per process: JSON lines for shippers, or `time LEVEL message k=v` for people. */
export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? new BatchedStream(process.stdout, {
    shared: options.shared ?? false,
    droppedNotice: (dropped) => formatLine(options.format, 'warn', 'log output blocked; lines dropped', { dropped }),
  });
  const transport = new winston.transports.Stream({ stream });
  const logger = winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    format: winston.format.combine(
      winston.format.timestamp(),
      options.format === 'json' ? winston.format.json() : textLine,
    ),
    transports: [transport],
  });
  sinks.set(logger, {
    stream, format: options.format, silent: options.silent ?? false,
    ...(stream instanceof BatchedStream ? { append: (line: string) => stream.append(line) } : {}),
  });
  return logger;
}
