import { ResponsesStreamDecoder } from '../../../lib/backends/openai-responses/index.js';
import type { LipEvent } from '../../../lib/canonical/index.js';

/** The events a Responses stream decoder gives for `frames`, each sent as the SSE message of its `type`. */
export function decodeResponsesFrames(frames: readonly Record<string, unknown>[]): LipEvent[] {
  const decoder = new ResponsesStreamDecoder('b', []);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: String(f.type), data: JSON.stringify(f) }, out);
  return out;
}
