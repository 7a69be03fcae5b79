import { expect } from 'chai';
import fc from 'fast-check';
import { createContinuityStore, type ContinuityStore } from '../../lib/continuity/index.js';
import { anthropicFileRoutes, resolveAnthropicFiles } from '../../lib/frontends/anthropic/files.js';
import { geminiBatchRoutes } from '../../lib/frontends/gemini/batches.js';
import { geminiFileRoutes, resolveGeminiReferences } from '../../lib/frontends/gemini/files.js';
import { ResourceAnswer, type StoredResponses } from '../../lib/frontends/protocol.js';
import { storedResponses } from '../../lib/server/stored-responses.js';
import { expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { hostileText } from './json-mutations.js';

type Json = Record<string, any>;

let store: ContinuityStore;
let principals = 0;
const memoryResponses = (): StoredResponses => storedResponses(store, `fuzz-${++principals}`);

/** A failure is a LipError the protocol can encode; anything else is a bug. */
async function answered<T>(run: () => Promise<T> | T): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    expectLipError(err);
    return undefined;
  }
}

const upload = geminiFileRoutes.find((r) => r.path === '/upload/v1beta/files')!;
const call = (responses: StoredResponses, headers: Json, bytes: Buffer, query = '') => upload.handle({
  params: {}, query: new URLSearchParams(query), body: undefined, bytes, headers, origin: 'http://lip.test', responses, retentionMs: 86_400_000, maxFileBytes: 4_096,
});

const headerValue = fc.oneof(fc.constantFrom('resumable', 'raw', 'start', 'upload', 'upload, finalize', 'finalize', 'query', 'cancel', '0', '3', '-1', '99999999999999999', 'text/plain', 'image/png'), hostileText);
const uploadHeaders = fc.dictionary(fc.constantFrom('x-goog-upload-protocol', 'x-goog-upload-command', 'x-goog-upload-offset', 'x-goog-upload-header-content-length', 'x-goog-upload-header-content-type', 'content-type'), headerValue);
const bodyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify({ file: v }))),
  fc.record({ file: fc.record({ name: fc.oneof(fc.constant('files/ok-name'), hostileText), displayName: fc.oneof(fc.string(), fc.integer()), mimeType: fc.oneof(fc.constant('text/plain'), hostileText) }, { requiredKeys: [] }) }).map((v) => Buffer.from(JSON.stringify(v))),
);

/**
 * The Files APIs lip holds (Gemini's uploads and fileData URIs, Anthropic's file blocks, a Gemini
 * batch's input lines), on anything a client can send: an answer or a LipError, never a throw of
 * another kind; a resumable upload driven by any sequence of commands stays consistent.
 */
describe('fuzz: Gemini and Anthropic files', function () {
  this.timeout(fuzzTimeout(30));
  beforeEach(() => {
    store = createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ttl: 86_400_000, max_legs: 1_000 });
  });
  afterEach(() => store.close());

  it('a Gemini upload of any headers and body answers a File, a session, or a LipError', async () => {
    await fc.assert(fc.asyncProperty(uploadHeaders, bodyBytes, async (headers, bytes) => {
      const answer = await answered(() => call(memoryResponses(), headers, bytes));
      if (answer === undefined) return;
      expect(answer).to.be.instanceOf(ResourceAnswer);
      const a = answer as ResourceAnswer;
      if (a.body !== undefined) expect((a.body as Json).file.sizeBytes).to.match(/^[1-9]\d*$/);
      else expect(a.headers['x-goog-upload-url']).to.match(/^http:\/\/lip\.test\/upload\/v1beta\/files\?upload_id=[a-z0-9]{32}&upload_protocol=resumable$/);
    }), fuzzParameters(0.5));
  });

  it('a resumable upload under any sequence of chunks and commands ends as a file of exactly the bytes accepted, or not at all', async () => {
    const step = fc.record({ command: fc.constantFrom('upload', 'upload, finalize', 'finalize', 'query', 'cancel'), bytes: fc.uint8Array({ maxLength: 8 }), offset: fc.option(fc.integer({ min: -1, max: 20 })) });
    await fc.assert(fc.asyncProperty(fc.option(fc.integer({ min: 0, max: 24 })), fc.array(step, { maxLength: 6 }), async (declared, steps) => {
      const responses = memoryResponses();
      const start = await call(responses, {
        'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start', 'x-goog-upload-header-content-type': 'application/octet-stream',
        ...(declared !== null ? { 'x-goog-upload-header-content-length': String(declared) } : {}),
      }, Buffer.alloc(0)) as ResourceAnswer;
      const query = new URL(start.headers['x-goog-upload-url']!).search.slice(1);
      const accepted: Buffer[] = [];
      for (const s of steps) {
        const chunk = Buffer.from(s.bytes);
        const answer = await answered(() => call(responses, { 'x-goog-upload-command': s.command, ...(s.offset !== null ? { 'x-goog-upload-offset': String(s.offset) } : {}) }, chunk, query));
        if (answer === undefined) continue;
        const a = answer as ResourceAnswer;
        if (s.command.includes('upload') && chunk.length > 0) accepted.push(chunk);
        if (a.body !== undefined) {
          const whole = Buffer.concat(accepted);
          expect((a.body as Json).file.sizeBytes).to.equal(String(whole.length));
          if (declared !== null) expect(whole.length).to.equal(declared);
          return;
        }
        if (s.command === 'cancel') return;
        expect(a.headers['x-goog-upload-size-received']).to.equal(String(Buffer.concat(accepted).length));
      }
    }), fuzzParameters(0.5));
  });

  it('requests of any shape naming files resolve to a body or a LipError (Gemini fileData, Anthropic file blocks)', async () => {
    const responses = memoryResponses();
    const made = ((await call(responses, { 'x-goog-upload-protocol': 'raw', 'content-type': 'image/png' }, Buffer.from([1, 2, 3]))) as ResourceAnswer).body as Json;
    const uri = fc.oneof(fc.constant(made.file.uri), fc.constant(made.file.name), fc.constant('files/missing-one'), hostileText);
    const part = fc.oneof(fc.record({ fileData: fc.record({ fileUri: uri, mimeType: fc.oneof(fc.constant('image/png'), hostileText) }, { requiredKeys: ['fileUri'] }) }), fc.record({ file_data: fc.record({ file_uri: uri }) }), fc.jsonValue());
    const body = fc.record({ contents: fc.oneof(fc.array(fc.record({ role: fc.constant('user'), parts: fc.array(part, { maxLength: 3 }) })), fc.jsonValue()), cachedContent: fc.option(hostileText) }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(body, async (b) => {
      const resolved = await answered(() => resolveGeminiReferences(b, responses, { model: 'm' }) ?? b);
      if (resolved !== undefined) JSON.stringify(resolved);
    }), fuzzParameters(0.5));
    const block = fc.oneof(fc.record({ type: fc.constantFrom('document', 'image'), source: fc.record({ type: fc.constant('file'), file_id: fc.oneof(fc.constant('file_missing'), hostileText) }) }), fc.jsonValue());
    await fc.assert(fc.asyncProperty(fc.array(fc.record({ role: fc.constant('user'), content: fc.oneof(fc.array(block, { maxLength: 3 }), fc.jsonValue()) }), { maxLength: 3 }), async (messages) => {
      const resolved = await answered(() => resolveAnthropicFiles({ messages }, responses) ?? { messages });
      if (resolved !== undefined) JSON.stringify(resolved);
    }), fuzzParameters(0.5));
  });

  it('a Gemini batch input file of any lines, and an Anthropic files list query, read or refuse with a LipError', async () => {
    const line = fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.record({ key: fc.oneof(fc.string(), fc.integer()), request: fc.jsonValue() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)), hostileText);
    await fc.assert(fc.asyncProperty(fc.array(line, { maxLength: 6 }), async (lines) => {
      const files = { text: async () => lines.join('\n') };
      const prepared = await answered(() => geminiBatchRoutes.prepare({ batch: { inputConfig: { fileName: 'files/in' } } }, 4, files, { model: 'm' }));
      if (prepared !== undefined) expect(prepared.requests.length).to.be.within(1, 4);
    }), fuzzParameters(0.5));
    const param = fc.tuple(fc.constantFrom('limit', 'after_id', 'before_id', 'page', 'ids', 'scope_id'), fc.oneof(fc.constantFrom('1', '0', '1001', 'file_x', 'a,b'), hostileText));
    await fc.assert(fc.asyncProperty(fc.array(param, { maxLength: 4 }), async (params) => {
      const query = new URLSearchParams(params);
      const read = await answered(() => anthropicFileRoutes.listQuery(query));
      if (read !== undefined) expect(read.limit).to.be.within(0, 1_000);
    }), fuzzParameters(0.5));
  });
});
