import { readFile } from 'node:fs/promises';
import { parseRecord, type BadLine, type ExchangeRecord } from './record-format.js';

export interface RecordingFile {
  readonly path: string;
  readonly records: readonly ExchangeRecord[];
  /** Lines that are not records. A bad last line (cut by a crash) is skipped; any other is fatal. */
  readonly bad: readonly BadLine[];
}

/**
 * Reads a recording (JSON Lines). Blank lines are ignored; every other line must be a
 * version-1 record. Throws only when the file cannot be read.
 */
export async function readRecording(path: string): Promise<RecordingFile> {
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.trim() === '') last--;
  const records: ExchangeRecord[] = [];
  const bad: BadLine[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = parseRecord(line);
    if (typeof parsed === 'string') bad.push({ line: i + 1, reason: parsed, last: i === last });
    else records.push(parsed);
  });
  return { path, records, bad };
}
