import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parseRecord, type BadLine, type ExchangeRecord } from './record-format.js';

export interface RecordingFile {
  readonly path: string;
  readonly records: readonly ExchangeRecord[];
  /** Lines that are not records. A bad last line (cut by a crash) is skipped; any other is fatal. */
  readonly bad: readonly BadLine[];
}

/** One line of a recording with its 1-based number. */
export interface RecordingLine {
  readonly line: number;
  readonly text: string;
}

/**
 * The non-blank lines of a recording (JSON Lines), read as a stream: a file of any size costs
 * one line at a time. A gzip-compressed file (a rotated file that logrotate's `compress` or
 * `gzip` packed; told by its first bytes, whatever its name) is read through gunzip. Rejects
 * when the file cannot be read or decompressed.
 */
export async function* recordingLines(path: string): AsyncGenerator<RecordingLine> {
  const lines = createInterface({ input: await opened(path), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() !== '') yield { line, text };
    }
  } finally {
    lines.close();
  }
}

/** The file's text as a stream: through gunzip when it starts with gzip's magic bytes. */
async function opened(path: string): Promise<Readable> {
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    head = (await handle.read(Buffer.alloc(2), 0, 2, 0)).buffer;
  } finally {
    await handle.close();
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) return createReadStream(path, { encoding: 'utf8' });
  // pipeline: an error of either stream (a cut or corrupt archive) reaches the one read.
  const text = pipeline(createReadStream(path), createGunzip(), () => undefined);
  text.setEncoding('utf8');
  return text;
}

/** What a first pass over a recording found: how many records it keeps, which lines are not records. */
export interface RecordingScan {
  readonly path: string;
  /** Records that `keep` kept (all of them without one). */
  readonly kept: number;
  readonly bad: readonly BadLine[];
}

/**
 * Checks every line of a recording without keeping the records (`lip replay` then replays them
 * in a second pass, a few at a time).
 */
export async function scanRecording(path: string, keep?: (record: ExchangeRecord) => boolean): Promise<RecordingScan> {
  let kept = 0;
  const bad = await eachRecord(path, (record) => {
    if (!keep || keep(record)) kept++;
  });
  return { path, kept, bad };
}

/**
 * Calls `onRecord` for every record of a recording, in file order, and answers the lines that
 * are not records. A bad line is `last` when no other non-blank line follows it and it is cut
 * JSON (a crash cut the file there); a whole JSON value that is not a record is never `last`,
 * wherever it is (no crash writes one).
 */
async function eachRecord(path: string, onRecord: (record: ExchangeRecord) => void): Promise<BadLine[]> {
  const bad: BadLine[] = [];
  let pending: (BadLine & { readonly text: string }) | undefined;
  for await (const { line, text } of recordingLines(path)) {
    if (pending) bad.push({ line: pending.line, reason: pending.reason, last: false });
    pending = undefined;
    const parsed = parseRecord(text);
    if (typeof parsed === 'string') pending = { line, reason: parsed, last: false, text };
    else onRecord(parsed);
  }
  if (pending) bad.push({ line: pending.line, reason: pending.reason, last: !wholeJson(pending.text) });
  return bad;
}

/** Whether `text` is a whole JSON value (then not a line a crash cut). */
function wholeJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The records of a recording in file order (bad lines are left out; `scanRecording` names them). */
export async function* recordsOf(path: string): AsyncGenerator<ExchangeRecord> {
  for await (const { text } of recordingLines(path)) {
    const parsed = parseRecord(text);
    if (typeof parsed !== 'string') yield parsed;
  }
}

/**
 * Reads a whole recording into memory (the corpus, tests, benchmarks). Blank lines are ignored;
 * every other line must be a version-1 record. Throws only when the file cannot be read.
 */
export async function readRecording(path: string): Promise<RecordingFile> {
  const records: ExchangeRecord[] = [];
  const bad = await eachRecord(path, (record) => records.push(record));
  return { path, records, bad };
}
