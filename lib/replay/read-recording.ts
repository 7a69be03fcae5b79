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

/** Which file a path named when it was opened (a rotation that moves it away puts another there). */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/**
 * The non-blank lines of a recording (JSON Lines), read as a stream: a file of any size costs
 * one line at a time. A gzip-compressed file (a rotated file that logrotate's `compress` or
 * `gzip` packed; told by its first bytes, whatever its name) is read through gunzip. `opened` is
 * told which file was opened before the first line (it may throw). Rejects when the file cannot
 * be read or decompressed.
 */
export async function* recordingLines(path: string, opened?: (file: FileIdentity) => void): AsyncGenerator<RecordingLine> {
  const { file, text: input } = await openText(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    opened?.(file);
    for await (const text of lines) {
      line++;
      if (text.trim() !== '') yield { line, text };
    }
  } finally {
    lines.close();
    // A reader that stops early leaves the rest unread: the file is closed all the same.
    input.destroy();
  }
}

/** The file at `path` opened, and its text as a stream: through gunzip when it starts with gzip's magic bytes. */
async function openText(path: string): Promise<{ readonly file: FileIdentity; readonly text: Readable }> {
  const handle = await open(path, 'r');
  let file: FileIdentity;
  let head: Buffer;
  try {
    const { dev, ino } = await handle.stat();
    file = { dev, ino };
    head = (await handle.read(Buffer.alloc(2), 0, 2, 0)).buffer;
  } catch (err) {
    await handle.close();
    throw err;
  }
  // The stream closes the handle when it ends or is destroyed.
  const bytes = handle.createReadStream({ start: 0 });
  if (head[0] !== 0x1f || head[1] !== 0x8b) return { file, text: bytes.setEncoding('utf8') };
  // pipeline: an error of either stream (a cut or corrupt archive) reaches the one read.
  const text = pipeline(bytes, createGunzip(), () => undefined);
  text.setEncoding('utf8');
  return { file, text };
}

/** What a first pass over a recording checked: which file, and its lines up to its last record's. */
export interface CheckedLines extends FileIdentity {
  /** The line of the last record (a cut last line after it is skipped). */
  readonly lines: number;
}

/** What a first pass over a recording found: how many records it keeps, which lines are not records, what it checked. */
export interface RecordingScan {
  readonly path: string;
  /** Records that `keep` kept (all of them without one). */
  readonly kept: number;
  readonly bad: readonly BadLine[];
  /** What `recordsOf` replays: lines written after the scan are not among them. */
  readonly checked: CheckedLines;
}

/**
 * Checks every line of a recording without keeping the records (`lip replay` then replays them
 * in a second pass, a few at a time).
 */
export async function scanRecording(path: string, keep?: (record: ExchangeRecord) => boolean): Promise<RecordingScan> {
  let kept = 0;
  const { bad, checked } = await eachRecord(path, (record) => {
    if (!keep || keep(record)) kept++;
  });
  return { path, kept, bad, checked };
}

/**
 * Calls `onRecord` for every record of a recording, in file order, and answers the lines that
 * are not records. A bad line is `last` when no other non-blank line follows it and it is cut
 * JSON (a crash cut the file there); a whole JSON value that is not a record is never `last`,
 * wherever it is (no crash writes one).
 */
async function eachRecord(path: string, onRecord: (record: ExchangeRecord) => void): Promise<{ bad: BadLine[]; checked: CheckedLines }> {
  const bad: BadLine[] = [];
  let pending: (BadLine & { readonly text: string }) | undefined;
  let file: FileIdentity = { dev: 0, ino: 0 };
  let lines = 0;
  for await (const { line, text } of recordingLines(path, (opened) => { file = opened; })) {
    if (pending) bad.push({ line: pending.line, reason: pending.reason, last: false });
    pending = undefined;
    const parsed = parseRecord(text);
    if (typeof parsed === 'string') pending = { line, reason: parsed, last: false, text };
    else {
      onRecord(parsed);
      lines = line;
    }
  }
  if (pending) bad.push({ line: pending.line, reason: pending.reason, last: !wholeJson(pending.text) });
  return { bad, checked: { dev: file.dev, ino: file.ino, lines } };
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

/**
 * The records of a recording in file order, as far as its scan checked it (`checked`): what was
 * written since (a live recording grows) is left out. Rejects when the path names another file
 * now (a rotation moved the scanned one away) or the file changed within what was checked (a
 * line there is no record now, or the file ends before it).
 */
export async function* recordsOf(path: string, checked: CheckedLines): AsyncGenerator<ExchangeRecord> {
  const scanned = (file: FileIdentity) => {
    if (file.dev !== checked.dev || file.ino !== checked.ino) throw new Error(`${path} was replaced since it was checked`);
  };
  let read = 0;
  for await (const { line, text } of recordingLines(path, scanned)) {
    if (line > checked.lines) break;
    const parsed = parseRecord(text);
    if (typeof parsed === 'string') throw new Error(`${path} changed since it was checked (line ${line}: ${parsed})`);
    read = line;
    yield parsed;
  }
  if (read !== checked.lines) throw new Error(`${path} changed since it was checked (it ends before line ${checked.lines})`);
}

/**
 * Reads a whole recording into memory (the corpus, tests, benchmarks). Blank lines are ignored;
 * every other line must be a version-1 record. Throws only when the file cannot be read.
 */
export async function readRecording(path: string): Promise<RecordingFile> {
  const records: ExchangeRecord[] = [];
  const { bad } = await eachRecord(path, (record) => records.push(record));
  return { path, records, bad };
}
