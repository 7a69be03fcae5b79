import { expect } from 'chai';
import { AnthropicStreamDecoder } from '../../../lib/backends/anthropic/index.js';
import { validateSequence, type LipEvent } from '../../../lib/canonical/index.js';

/** The events an Anthropic stream decoder gives for `frames`, each sent as the SSE message of its `type`; the sequence must be valid. */
export function decodeAnthropicFrames(frames: readonly unknown[]): LipEvent[] {
  const decoder = new AnthropicStreamDecoder('b', []);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: String((f as { type?: unknown }).type), data: JSON.stringify(f) }, out);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}
