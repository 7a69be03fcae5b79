import { expect } from 'chai';
import { GeminiStreamDecoder } from '../../../lib/backends/gemini/index.js';
import { validateSequence, type LipEvent } from '../../../lib/canonical/index.js';

/** A streamed generateContent frame: one candidate with `parts`, its other fields and finish reason. */
export const geminiFrame = (parts: unknown[], extra: Record<string, unknown> = {}, finishReason?: string) => ({
  candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), ...extra, index: 0 }],
  modelVersion: 'gemini-x', responseId: 'r1',
});

/**
 * The events a Gemini stream decoder gives for `frames` (`search`: the call searched;
 * `written`: the call declared a grounding built-in, whose grounding is passed as written); the
 * sequence must be valid.
 */
export function decodeGeminiFrames(frames: readonly Record<string, unknown>[], search = false, written = false): LipEvent[] {
  const decoder = new GeminiStreamDecoder('b', [], search, written);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: 'message', data: JSON.stringify(f) }, out);
  decoder.end();
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}

/** The events of an answer's content, less the response's own. */
export const contentEvents = (events: LipEvent[]) => events.filter((e) => !['response_started', 'message_started', 'usage', 'response_finished'].includes(e.type));
