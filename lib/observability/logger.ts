import type { Writable } from 'node:stream';
import winston from 'winston';
import { BatchedStream } from './batched-stream.js';

export type Logger = winston.Logger;

export interface LoggerOptions {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly format: 'json' | 'text';
  /** Where lines go; stdout (batched per event-loop turn) by default. Tests pass a stream to read them back. */
  readonly stream?: Writable;
  readonly silent?: boolean;
}

const textLine = winston.format.printf((info) => {
  const { level, message, timestamp, ...rest } = info as Record<string, unknown>;
  const fields = Object.entries(rest)
    .filter(([key]) => typeof key === 'string')
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${String(timestamp)} ${String(level).toUpperCase().padEnd(5)} ${String(message)}${fields ? ` ${fields}` : ''}`;
});

/** One logger per process: JSON lines for shippers, or `time LEVEL message k=v` for people. */
export function createLogger(options: LoggerOptions): Logger {
  const transport = new winston.transports.Stream({ stream: options.stream ?? new BatchedStream(process.stdout) });
  return winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    format: winston.format.combine(
      winston.format.timestamp(),
      options.format === 'json' ? winston.format.json() : textLine,
    ),
    transports: [transport],
  });
}
