import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { AnthropicResponseDecoder } from '../../lib/backends/anthropic/decode-response.js';
import { AnthropicStreamDecoder } from '../../lib/backends/anthropic/decode-stream.js';
import { GeminiResponseDecoder } from '../../lib/backends/gemini/decode-response.js';
import { GeminiStreamDecoder } from '../../lib/backends/gemini/decode-stream.js';
import { upstreamSource, type StreamDecoder, type UpstreamClient } from '../../lib/backends/http/index.js';
import type { ResponseDecoder } from '../../lib/backends/http/read-whole-response.js';
import { ChatResponseDecoder } from '../../lib/backends/openai-chat/decode-response.js';
import { ChatStreamDecoder } from '../../lib/backends/openai-chat/decode-stream.js';
import { ResponsesResponseDecoder } from '../../lib/backends/openai-responses/decode-response.js';
import { ResponsesStreamDecoder } from '../../lib/backends/openai-responses/decode-stream.js';
import type { LipEvent, Usage } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';

/** The four stream decoders, and where their recorded streams are (the golden wire files). */
export const STREAM_KINDS: Readonly<Record<string, () => StreamDecoder>> = {
  'openai-chat': () => new ChatStreamDecoder('fuzz', ['sk-fuzz-secret']),
  'openai-responses': () => new ResponsesStreamDecoder('fuzz', ['sk-fuzz-secret']),
  anthropic: () => new AnthropicStreamDecoder('fuzz', ['sk-fuzz-secret']),
  gemini: () => new GeminiStreamDecoder('fuzz', ['sk-fuzz-secret']),
};

/** The whole-answer decoders (non-streamed generations), by kind. */
export const RESPONSE_KINDS: Readonly<Record<string, () => ResponseDecoder>> = {
  'openai-chat': () => new ChatResponseDecoder('fuzz', ['sk-fuzz-secret']),
  'openai-responses': () => new ResponsesResponseDecoder('fuzz', ['sk-fuzz-secret']),
  anthropic: () => new AnthropicResponseDecoder('fuzz', ['sk-fuzz-secret']),
  gemini: () => new GeminiResponseDecoder('fuzz', ['sk-fuzz-secret']),
};

/**
 * Recorded upstream bodies of one kind: testdata/golden/<kind>/*.sse (streams) or *.json (whole
 * answers and error bodies). They are lip's golden wire output, which is each provider's own
 * format, so they are what such an upstream sends.
 */
export function recordedStreams(kind: string, extension = '.sse'): { name: string; text: string }[] {
  const dir = new URL(`../../testdata/golden/${kind}/`, import.meta.url);
  return readdirSync(dir).filter((f) => f.endsWith(extension)).sort().map((name) => ({ name, text: readFileSync(new URL(name, dir), 'utf8') }));
}

export interface Decoded {
  readonly events: LipEvent[];
  readonly error?: LipError;
}

/**
 * Decodes a body as the HTTP backends do: `upstreamSource` (the SSE parser, the UTF-8 decoder,
 * the decoder, the end-of-body rules; with `whole`, the JSON answer read and its decoder) over
 * a fake client whose 200 response body yields `chunks` one by one. A throw that is not a LipError comes out as the source turns it into
 * one (an internal error), which the properties refuse. Fails when the stream does not settle
 * within `hangMs` (a hang).
 */
export function decodeStream(kind: string, chunks: readonly Buffer[], options: { maxLineBytes?: number; hangMs?: number; whole?: boolean } = {}): Promise<Decoded> {
  const type = options.whole ? 'application/json' : 'text/event-stream';
  const client = { open: async () => ({ statusCode: 200, headers: { 'content-type': type }, body: fakeBody(chunks) }) } as unknown as UpstreamClient;
  const exchange = {
    backendId: 'fuzz',
    request: () => ({ method: 'POST' as const, url: 'http://fuzz.invalid/', headers: {} }),
    decoder: STREAM_KINDS[kind]!,
    ...(options.whole ? { response: RESPONSE_KINDS[kind]! } : {}),
    statusError: () => new LipError('LIP_ERR_UPSTREAM_STATUS'),
  };
  const credentials = { pool: undefined, required: false, hint: 'none', now: () => 0 };
  const read = options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes };
  return new Promise<Decoded>((resolve, reject) => {
    const events: LipEvent[] = [];
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`the ${kind} stream did not settle within ${options.hangMs ?? 10_000} ms (a hang)`));
    }, options.hangMs ?? 10_000);
    const settle = (result: Decoded) => {
      clearTimeout(timer);
      resolve(result);
    };
    const source = (upstreamSource as (...args: unknown[]) => ReturnType<typeof upstreamSource>)(client, exchange, credentials, read);
    const subscription = source.subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => settle({ events, error: error as LipError }),
      complete: () => settle({ events }),
    });
  });
}

/** Cuts `bytes` at the given offsets (any order, duplicates and out-of-range ones allowed). */
export function cut(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  return [...points, bytes.length].map((p, i, all) => bytes.subarray(i === 0 ? 0 : all[i - 1], p));
}

/** A body like undici's: a byte stream with `dump()`. */
function fakeBody(chunks: readonly Buffer[]): Readable {
  const body = Readable.from(chunks.filter((c) => c.length > 0));
  return Object.assign(body, { dump: async () => { body.resume(); } });
}

/** Tool call ids made up by a decoder (random) as `#1`, `#2`, ... in order of appearance. */
export function normalizeIds(events: readonly LipEvent[]): LipEvent[] {
  const ids = new Map<string, string>();
  const name = (id: string) => {
    if (!ids.has(id)) ids.set(id, `#${ids.size + 1}`);
    return ids.get(id)!;
  };
  return events.map((e) => (e.type === 'tool_call_started' || e.type === 'tool_call_delta' || e.type === 'tool_call_finished' ? { ...e, id: name(e.id) } : e));
}

const FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter', 'stop_sequence', 'other'];
const USAGE_KEYS: readonly (keyof Usage)[] = ['inputTokens', 'outputTokens', 'totalTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'cacheWrite1hTokens'];
/** The usage fields that name how the answer was served: short strings. */
const USAGE_LABELS: readonly (keyof Usage)[] = ['serviceTier', 'inferenceGeo', 'speed'];

/** Every field of a canonical event has the type events.ts declares, whatever the upstream sent. */
export function expectEventShape(event: LipEvent): void {
  const where = JSON.stringify(event).slice(0, 300);
  const str = (value: unknown, field: string) => expect(typeof value, `${field} of ${where}`).to.equal('string');
  const optStr = (value: unknown, field: string) => value === undefined || str(value, field);
  switch (event.type) {
    case 'response_started': optStr(event.id, 'id'); optStr(event.model, 'model'); return;
    case 'message_started': return;
    case 'text_delta': case 'reasoning_delta': str(event.text, 'text'); return;
    case 'reasoning_signature': str(event.signature, 'signature'); return;
    case 'reasoning_opaque': str(event.dialect, 'dialect'); str(event.data, 'data'); optStr(event.id, 'id'); return;
    case 'tool_call_started': str(event.id, 'id'); str(event.name, 'name'); optStr(event.signature, 'signature'); return;
    case 'tool_call_delta': str(event.id, 'id'); str(event.args, 'args'); return;
    case 'tool_call_finished': str(event.id, 'id'); return;
    case 'web_search':
      str(event.id, 'id');
      expect(['searching', 'completed', 'failed'], `status of ${where}`).to.include(event.status);
      optStr(event.query, 'query'); optStr(event.error, 'error'); optStr(event.dialect, 'dialect'); optStr(event.entryPoint, 'entryPoint');
      for (const result of event.results ?? []) { str(result.url, 'results[].url'); optStr(result.title, 'results[].title'); optStr(result.pageAge, 'results[].pageAge'); optStr(result.encrypted, 'results[].encrypted'); }
      return;
    case 'citation':
      optStr(event.url, 'url'); optStr(event.title, 'title');
      if (event.document !== undefined) expect(Number.isInteger(event.document.index) && ['char', 'page', 'block'].includes(event.document.kind), `document of ${where}`).to.equal(true);
      optStr(event.citedText, 'citedText'); optStr(event.encryptedIndex, 'encryptedIndex'); optStr(event.dialect, 'dialect');
      expect(Number.isInteger(event.start) && Number.isInteger(event.end) && event.start >= 0 && event.end >= event.start, `span of ${where}`).to.equal(true);
      return;
    case 'hosted_tool': {
      const object = (value: unknown, field: string) => expect(value !== null && typeof value === 'object' && !Array.isArray(value), `${field} of ${where}`).to.equal(true);
      str(event.id, 'id'); str(event.dialect, 'dialect');
      expect(['added', 'progress', 'done'], `phase of ${where}`).to.include(event.phase);
      if (event.phase === 'progress') object(event.update, 'update');
      else object(event.block, 'block');
      if (event.scope !== undefined) expect(event.scope, `scope of ${where}`).to.equal('message');
      return;
    }
    case 'usage':
      for (const key of Object.keys(event.usage)) {
        const value = event.usage[key as keyof Usage];
        if (USAGE_LABELS.includes(key as keyof Usage)) {
          expect(typeof value === 'string' && value.length > 0 && value.length <= 64, `usage.${key} of ${where}`).to.equal(true);
          continue;
        }
        expect(USAGE_KEYS, `usage key of ${where}`).to.include(key);
        expect(typeof value, `usage.${key} of ${where}`).to.equal('number');
      }
      return;
    case 'response_finished':
      expect(FINISH_REASONS, `reason of ${where}`).to.include(event.reason);
      optStr(event.raw, 'raw'); optStr(event.stopSequence, 'stopSequence');
      return;
    default:
      expect.fail(`a decoder emitted ${where}`);
  }
}
