import type { ServerResponse } from 'node:http';
import type { FaultScript } from './script.js';

const PIECE = 64 * 1024;

/**
 * Writes the answer to a non-streamed request: the protocol's JSON body, with the script's
 * faults turned into what they mean for one body (frame numbers do not apply):
 * - `reset` after the first byte, after output or after N frames: half the body, then a reset;
 * - `stall` before the first token, after output or after N frames: the headers, then nothing;
 * - `malformedAt`: a body that is not JSON; `endAt`: half the body, ended cleanly;
 * - `hugeLine`: a JSON object with a padding string of about `bytes` bytes (written in pieces
 *   that honour backpressure; with `terminated: false` it never ends);
 * - `endless`: padding that never ends, until the client closes;
 * - `dripMs`: the body in two halves, `dripMs` apart.
 * (`reset: 'before_first_byte'` and `stall: 'before_headers'` are handled before this.)
 */
export function writeJsonAnswer(
  res: ServerResponse, body: unknown, headers: Record<string, string>, fault: FaultScript,
  dripMs: number, later: (ms: number, fn: () => void) => void,
): void {
  // Read loosely: the stream-only fault modes may be declared elsewhere (script.ts).
  const big = fault as FaultScript & { hugeLine?: { bytes: number; terminated?: boolean }; endless?: boolean };
  let text = JSON.stringify(body);
  if (fault.malformedAt !== undefined) text = '{"broken": ';
  const half = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  if (big.hugeLine || big.endless) {
    void writePadding(res, big.endless ? Infinity : big.hugeLine!.bytes, !big.endless && (big.hugeLine!.terminated ?? true));
    return;
  }
  if (fault.reset !== undefined) {
    res.write(half, () => res.socket?.resetAndDestroy());
    return;
  }
  if (fault.stall !== undefined) return void res.flushHeaders();
  if (fault.endAt !== undefined) return void res.end(half);
  if (dripMs <= 0) return void res.end(text);
  res.write(half);
  later(dripMs, () => { if (!res.destroyed) res.end(text.slice(half.length)); });
}

/** `{"pad":"xxx…"}` of about `bytes` bytes, in pieces that wait for `drain`. */
async function writePadding(res: ServerResponse, bytes: number, terminated: boolean): Promise<void> {
  const piece = 'x'.repeat(PIECE);
  let left = bytes;
  const write = (chunk: string) => new Promise<void>((resolve) => {
    if (res.write(chunk)) return resolve();
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
  await write('{"pad":"');
  while (left > 0 && !res.destroyed) {
    const chunk = left >= PIECE ? piece : piece.slice(0, left);
    left -= chunk.length;
    await write(chunk);
  }
  if (terminated && !res.destroyed) res.end('"}');
}
