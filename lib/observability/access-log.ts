import type { Logger } from './logger.js';
import { formatLine, lineSinkOf, type LineSink } from './logger.js';

/**
 * The access log: one `request` line per request at `info`, written straight to the logger's
 * stream as one string. winston formats every other line through its transform pipeline
 * (several object copies and stream hops per line); the access log is the one line every
 * request pays for, so it is built here with a single `JSON.stringify` (or the text format) and
 * joins the same batched stream (one write per event-loop turn), appended to its batch directly
 * rather than written through the Writable. The fields and the shape are
 * those of a winston JSON line (`level`, `message`, the fields, `timestamp`).
 *
 * A logger not made by createLogger (or silent, or above `info`) gets the line through winston.
 * @see spec/observability/access-log.spec.ts
 */
export class AccessLog {
  private readonly sink;

  constructor(private readonly logger: Logger) {
    this.sink = lineSinkOf(logger);
  }

  write(fields: Record<string, unknown>): void {
    const sink = this.sink;
    if (sink === undefined) {
      this.logger.info('request', fields);
      return;
    }
    if (sink.silent || !this.logger.isInfoEnabled()) return;
    this.line(sink, formatLine(sink.format, 'info', 'request', fields));
  }

  private line(sink: LineSink, text: string): void {
    if (sink.append) sink.append(text);
    else sink.stream.write(text);
  }
}
