import { collectEvents, validateSequence, type CollectedResponse, type LipEvent } from '../../lib/canonical/index.js';
import type { ResponseDecoder, StreamDecoder } from '../../lib/backends/http/index.js';
import { SseParser } from '../../lib/wire/index.js';
import type { LipError } from '../../lib/errors/index.js';
import type { EmulatorProtocol, RecordedRequest, Script } from '../helpers/emulators/index.js';

/** What a kind's two decoders make of one emulator script: streamed frames and the whole JSON answer. */
export interface BothWays {
  readonly streamed: LipEvent[];
  readonly whole: LipEvent[];
  /** Canonical order violations of each event list (both must be empty). */
  readonly violations: string[];
}

/** A request as the emulator records it, enough for `frames()` / `json()`. */
export function recorded(body: Record<string, unknown>, path = '/'): RecordedRequest {
  return {
    method: 'POST', path, query: new URLSearchParams(), headers: {}, body, raw: JSON.stringify(body),
    key: undefined, route: 'generate', stream: body.stream === true, model: typeof body.model === 'string' ? body.model : 'model-x',
  };
}

/**
 * Runs one script through a kind's stream decoder (the emulator's SSE frames, parsed as lip
 * parses them) and its response decoder (the emulator's JSON answer), so a spec can assert
 * that both paths give the same collected response.
 */
export function decodeBothWays(
  protocol: EmulatorProtocol, script: Script, request: RecordedRequest,
  stream: () => StreamDecoder, whole: () => ResponseDecoder,
): BothWays {
  const streamed: LipEvent[] = [];
  const decoder = stream();
  const parser = new SseParser();
  for (const message of parser.push(protocol.frames(script, request).map((f) => f.text).join(''))) decoder.message(message, streamed);
  for (const message of parser.end()) decoder.message(message, streamed);
  decoder.end(streamed);
  const answer: LipEvent[] = [];
  whole().decode(JSON.parse(JSON.stringify(protocol.json(script, request))) as Record<string, any>, answer);
  return { streamed, whole: answer, violations: [...validateSequence(streamed), ...validateSequence(answer)].map(String) };
}

/** The collected response with made-up tool call ids replaced by their position (for comparison). */
export function comparable(events: LipEvent[], madeUpIds = false): CollectedResponse {
  const collected = collectEvents(events);
  if (!madeUpIds) return collected;
  const rename = (id: string) => `#${collected.toolCalls.findIndex((c) => c.id === id)}`;
  return {
    ...collected,
    blocks: collected.blocks.map((b) => (b.type === 'tool_call' ? { ...b, id: rename(b.id) } : b)),
    toolCalls: collected.toolCalls.map((c) => ({ ...c, id: rename(c.id) })),
  };
}

/** The error `run` throws (the spec fails when it throws none). */
export function thrownBy(run: () => unknown): LipError {
  try {
    run();
  } catch (err) {
    return err as LipError;
  }
  throw new Error('no error was thrown');
}
