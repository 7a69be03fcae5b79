import { isUtf8 } from 'node:buffer';

/** Steps of a slice at most (an input file's lines, a batch's requests). */
export const SLICE_STEPS = 1_000;
/** Milliseconds of a slice at most. */
export const SLICE_MS = 10;

/**
 * Long synchronous work (an input file's lines parsed, a batch's result lines made up) cut into
 * slices, with a turn of the event loop between two: timers, I/O and other requests run
 * meanwhile instead of waiting for the whole of it. A slice ends after `maxSteps` steps or
 * `maxMs` milliseconds, whichever comes first (the count makes the pauses certain whatever the
 * machine's speed, the clock bounds a slice of heavy steps).
 *
 * ```ts
 * const slices = new WorkSlices();
 * for (const line of lines) {
 *   if (slices.due()) await slices.pause();
 *   parse(line);
 * }
 * ```
 * @see spec/wire/work-slices.spec.ts
 */
export class WorkSlices {
  private steps = 0;
  private since = performance.now();
  /** Pauses made so far. */
  pauses = 0;

  constructor(readonly maxSteps = SLICE_STEPS, readonly maxMs = SLICE_MS) {}

  /** Counts a step; true when the slice is over (`pause` before the step). */
  due(): boolean {
    return ++this.steps > this.maxSteps || performance.now() - this.since >= this.maxMs;
  }

  /** A turn of the event loop (after its I/O callbacks: `setImmediate`); the next slice begins. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.pauses++;
    this.steps = 1;
    this.since = performance.now();
  }
}

/** Bytes decoded in one slice (`utf8Text`, `base64Text`): a few milliseconds' work. */
const DECODE_SLICE = 1 << 20;

/**
 * `bytes` as UTF-8 text, a byte order mark kept, checked and decoded a mebibyte at a time (each
 * slice ends before a character's first byte) with a turn of the event loop between two: a
 * 30 MiB file is not one long block. A TypeError when they are not UTF-8.
 */
export async function utf8Text(bytes: Uint8Array): Promise<string> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const texts: string[] = [];
  for (let at = 0; at < buffer.byteLength;) {
    if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    let end = Math.min(at + DECODE_SLICE, buffer.byteLength);
    // Back over at most three continuation bytes (10xxxxxx) to the first byte of a character.
    for (let back = 0; back < 3 && end < buffer.byteLength && (buffer[end]! & 0xc0) === 0x80; back++) end--;
    const slice = buffer.subarray(at, end);
    if (!isUtf8(slice)) throw new TypeError('the bytes are not UTF-8');
    texts.push(slice.toString('utf8'));
    at = end;
  }
  return texts.join('');
}

/** `bytes` in base64, encoded a mebibyte at a time (a multiple of 3 bytes: the pieces join) with a turn of the event loop between two. */
export async function base64Text(bytes: Uint8Array): Promise<string> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const step = DECODE_SLICE - (DECODE_SLICE % 3);
  const texts: string[] = [];
  for (let at = 0; at < buffer.byteLength; at += step) {
    if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    texts.push(buffer.subarray(at, at + step).toString('base64'));
  }
  return texts.join('');
}
