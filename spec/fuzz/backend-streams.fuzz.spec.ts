import { expect } from 'chai';
import fc from 'fast-check';
import { validateSequence } from '../../lib/canonical/index.js';
import { expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { applyMutation, deepDepths, FuzzText, hostileText, mutation, toText, type Json } from './json-mutations.js';
import { cut, decodeStream, expectEventShape, normalizeIds, recordedStreams, STREAM_KINDS, type Decoded } from './stream-harness.js';

/**
 * Re-terminates every line with `\n`, `\r\n` or `\r` by `choices` (cycled). An empty line
 * ended by `\n` right after a `\r` would read as one `\r\n`, so it gets `\r\n` instead.
 */
function lineEnds(text: string, choices: readonly number[]): string {
  if (choices.length === 0) return text;
  const lines = text.split('\n');
  let out = lines[0]!;
  let previous = '';
  for (let i = 1; i < lines.length; i++) {
    let end = ['\n', '\r\n', '\r'][choices[i % choices.length]! % 3]!;
    if (previous === '\r' && end === '\n' && lines[i - 1] === '') end = '\r\n';
    out += end + lines[i]!;
    previous = end;
  }
  return out;
}

/** Events and failure as comparable data (made-up tool call ids numbered, error by code and message). */
function outcome(d: Decoded): unknown {
  return { events: normalizeIds(d.events), error: d.error ? `${d.error.code}: ${d.error.message}` : undefined };
}

/** The oracle every decode must pass: well-typed events, and failures that are proper LipErrors. */
function expectSound(d: Decoded): void {
  for (const event of d.events) expectEventShape(event);
  if (d.error !== undefined) expectLipError(d.error);
}

/** One thing inserted between (or instead of) the frames of a recorded stream. */
function garbage(frames: readonly string[]): fc.Arbitrary<string> {
  const realData = frames.map((f) => /^data: ?(.*)$/m.exec(f)?.[1]).filter((d): d is string => d !== undefined && d.startsWith('{'));
  const mutatedFrame = fc.tuple(fc.constantFrom(...realData), fc.array(mutation(), { minLength: 1, maxLength: 3 }))
    .map(([data, ms]) => `data: ${toText(ms.reduce(applyMutation, JSON.parse(data) as Json))}\n\n`);
  return fc.oneof(
    mutatedFrame,
    fc.jsonValue({ maxDepth: 4 }).map((v) => `data: ${JSON.stringify(v)}\n\n`),
    fc.constantFrom(...frames),
    fc.tuple(fc.constantFrom('error', 'message_start', 'ping', 'response.failed', 'response.created', 'content_block_delta', ''), fc.constantFrom(...realData, '{}', '{"error":{"message":"boom"}}', '[DONE]', 'null', '"x"'))
      .map(([event, data]) => `event: ${event}\ndata: ${data}\n\n`),
    hostileText.map((t) => `data: ${t.replace(/[\r\n]/g, '')}\n\n`),
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a).toString('latin1')),
    fc.constantFrom(': keepalive\n\n', 'retry: 10\n', 'id: \u0000\n', 'data\n\n', 'data:\n\n', 'event: x\n', ':\n', '\n', '\r', '\r\n'),
  );
}

/** A recorded stream with garbage inserted at frame boundaries and some frames replaced. */
function withGarbage(text: string): fc.Arbitrary<FuzzText> {
  const frames = text.split(/(?<=\n\n)/);
  const edit = fc.record({ at: fc.nat(), replace: fc.boolean(), item: garbage(frames) });
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    const out = [...frames];
    for (const e of edits) out.splice(e.at % (out.length + 1), e.replace ? 1 : 0, e.item);
    return new FuzzText(out.join(''));
  });
}

/** A recorded stream with one frame's JSON nested 1,000 to 100,000 levels deep somewhere. */
function withDeepFrame(text: string): fc.Arbitrary<FuzzText> {
  const frames = text.split(/(?<=\n\n)/);
  const deep = fc.record({ op: fc.constant('deep' as const), pick: fc.nat(), shape: fc.constantFrom('array' as const, 'object' as const), depth: deepDepths });
  return fc.tuple(fc.nat(), deep).map(([at, m]) => {
    const out = [...frames];
    const i = at % out.length;
    const data = /^data: ?(\{.*)$/m.exec(out[i]!)?.[1];
    if (data !== undefined) out[i] = out[i]!.replace(data, () => toText(applyMutation(JSON.parse(data) as Json, m)));
    return new FuzzText(out.join(''));
  });
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** The decode of a whole recorded stream in one chunk, once per kind and text (the reference). */
const references = new Map<string, Promise<Decoded>>();
function reference(kind: string, text: string): Promise<Decoded> {
  const key = `${kind}\0${text}`;
  let decoded = references.get(key);
  if (!decoded) references.set(key, (decoded = decodeStream(kind, [utf8(text)])));
  return decoded;
}

describe('fuzz: backend stream decoders (through upstreamSource, as the HTTP backends read)', function () {
  this.timeout(fuzzTimeout(60));

  for (const kind of Object.keys(STREAM_KINDS)) {
    const streams = recordedStreams(kind);
    const texts = streams.map((s) => s.text);

    describe(kind, () => {
      it('decodes every recorded stream into a valid sequence, or a failure the stream reported', async () => {
        expect(streams.length).to.be.greaterThan(4);
        for (const { name, text } of streams) {
          const d = await decodeStream(kind, [utf8(text)]);
          expectSound(d);
          if (name.startsWith('failure')) expect(d.error?.code, name).to.equal('LIP_ERR_UPSTREAM_STREAM_ERROR');
          else expect(validateSequence(d.events), name).to.deep.equal([]);
        }
      });

      it('gives the same events for any chunk boundaries and any mix of LF, CRLF and CR line ends', async () => {
        const split = fc.oneof({ weight: 5, arbitrary: fc.array(fc.nat(), { maxLength: 40 }) }, { weight: 1, arbitrary: fc.constant('bytes' as const) });
        await fc.assert(fc.asyncProperty(fc.constantFrom(...texts), fc.array(fc.nat(), { maxLength: 8 }), split, async (text, ends, offsets) => {
          const expected = outcome(await reference(kind, text));
          const bytes = utf8(lineEnds(text, ends));
          const chunks = offsets === 'bytes' ? [...bytes].map((b) => Buffer.from([b])) : cut(bytes, offsets);
          const d = await decodeStream(kind, chunks);
          expectSound(d);
          expect(outcome(d)).to.deep.equal(expected);
        }), fuzzParameters(0.5));
      });

      it('reports a stream cut at any byte as a LipError (or its finish), after a prefix of the full events', async () => {
        await fc.assert(fc.asyncProperty(fc.constantFrom(...texts), fc.nat(), fc.array(fc.nat(), { maxLength: 6 }), async (text, at, offsets) => {
          const full = await reference(kind, text);
          const bytes = utf8(text);
          const d = await decodeStream(kind, cut(bytes.subarray(0, at % bytes.length), offsets));
          expectSound(d);
          // A cut stream may still finish (openai-chat ends at the end of the body once a finish
          // reason was seen, without the usage chunk): the rest is a prefix of the full events.
          const events = normalizeIds(d.events);
          const expected = normalizeIds(full.events);
          const last = events.at(-1);
          if (last?.type === 'response_finished') {
            expect(last).to.deep.equal(expected.at(-1));
            events.pop();
          }
          expect(events).to.deep.equal(expected.slice(0, events.length));
          if (full.error === undefined && d.events.at(-1)?.type !== 'response_finished') {
            expect(['LIP_ERR_UPSTREAM_EMPTY_STREAM', 'LIP_ERR_UPSTREAM_RESET', 'LIP_ERR_UPSTREAM_MALFORMED']).to.include(d.error?.code);
          }
        }), fuzzParameters(0.5));
      });

      it('answers garbage frames (mutated, duplicated, foreign, binary) with well-typed events or a LipError', async () => {
        const arb = fc.constantFrom(...texts).chain(withGarbage);
        await fc.assert(fc.asyncProperty(arb, fc.array(fc.nat(), { maxLength: 6 }), async (body, offsets) => {
          expectSound(await decodeStream(kind, cut(utf8(body.text), offsets)));
        }), fuzzParameters(0.3));
      });

      // The upstream depth bound answers these (without it, Gemini functionCall.args nested
      // 6,000 levels overflowed the stack when the arguments were serialised).
      it('answers frames nested 1,000 to 100,000 levels deep with well-typed events or a LipError (depth bounds)', async () => {
        const arb = fc.constantFrom(...texts).chain(withDeepFrame);
        await fc.assert(fc.asyncProperty(arb, async (body) => {
          expectSound(await decodeStream(kind, [utf8(body.text)]));
        }), fuzzParameters(0.1));
      });

      it('answers oversized lines (megabytes, with or without an end) without hanging, with a LipError past max_line_bytes', async () => {
        const line = fc.record({
          at: fc.nat(), size: fc.integer({ min: 64 * 1024, max: 2 * 1024 * 1024 }), ended: fc.boolean(),
          prefix: fc.constantFrom('data: ', 'data: {"x":"', ': ', 'event: ', ''), chunk: fc.integer({ min: 16 * 1024, max: 256 * 1024 }),
        });
        await fc.assert(fc.asyncProperty(fc.constantFrom(...texts), line, async (text, l) => {
          const frames = text.split(/(?<=\n\n)/);
          frames.splice(l.at % (frames.length + 1), 0, `${l.prefix}${'x'.repeat(l.size)}${l.ended ? '\n\n' : ''}`);
          const bytes = utf8(frames.join(''));
          const offsets = Array.from({ length: Math.ceil(bytes.length / l.chunk) }, (_, i) => i * l.chunk);
          const d = await decodeStream(kind, cut(bytes, offsets), { maxLineBytes: 1024 * 1024, hangMs: 30_000 });
          expectSound(d);
        }), fuzzParameters(0.05));
      });
    });
  }
});
