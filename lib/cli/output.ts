import { readerGone } from './exit-when-written.js';

/** Where commands write; tests pass buffers, the binary passes the process streams. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** Writes a line to `stream`, or nothing once it is gone (its reader left: the command is ending). */
function writeLine(stream: NodeJS.WriteStream, text: string): void {
  if (!readerGone(stream)) stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

export const processOutput: Output = {
  out: (text) => writeLine(process.stdout, text),
  err: (text) => writeLine(process.stderr, text),
};
