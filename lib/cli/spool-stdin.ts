import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** A file holding what was read from standard input, removed with `remove()`. */
export interface SpooledInput {
  readonly path: string;
  remove(): Promise<void>;
}

/**
 * Copies `input` (standard input: `lip replay -`) to a file of its own, in a new directory only
 * the user can read (a recording holds traffic). `lip replay` reads a recording twice (a check of
 * every line, then the replay) and tells a gzip-compressed one by its first bytes, neither of
 * which a pipe allows; the copy costs disk, not memory. Rejects when the input cannot be read or
 * the file written (nothing is left behind then).
 */
export async function spoolStdin(input: NodeJS.ReadableStream): Promise<SpooledInput> {
  const dir = await mkdtemp(join(tmpdir(), 'lip-replay-stdin-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'stdin.jsonl');
  try {
    await pipeline(input, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, remove };
}
