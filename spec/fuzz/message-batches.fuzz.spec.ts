import { expect } from 'chai';
import fc from 'fast-check';
import type { ServerResponse } from 'node:http';
import { createRuntime, type Runtime } from '../../lib/core/runtime.js';
import { anthropicFrontend } from '../../lib/frontends/anthropic/index.js';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { anthropicBatchRoutes } from '../../lib/frontends/anthropic/message-batches.js';
import { openAIBatchRoutes, readLines } from '../../lib/frontends/openai-chat/batches.js';
import { geminiBatchRoutes } from '../../lib/frontends/gemini/batches.js';
import { LipError } from '../../lib/errors/index.js';
import { RouteTable } from '../../lib/server/route-table.js';

/** Every protocol's generation routes, as a server serving them all finds a batch's endpoint. */
const table = new RouteTable(Object.values(FRONTENDS));
import { Batches, type BatchCall } from '../../lib/server/batches.js';
import { parseJson } from '../../lib/wire/json-body.js';
import { testConfig } from '../helpers/config.js';
import { until } from '../helpers/hostile-rig.js';
import { answeredOrRefused, expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { hostileText, mutatedJsonText } from './json-mutations.js';

type Json = Record<string, any>;

const message = (text: string, extra: Json = {}) => ({ model: 'stub:m', max_tokens: 8, messages: [{ role: 'user', content: text }], ...extra });
const SEEDS: Json[] = [
  { requests: [{ custom_id: 'a', params: message('hi') }, { custom_id: 'b-2', params: message('ho', { system: 's', temperature: 0.5 }) }] },
  { requests: [{ custom_id: 'only_one', params: { ...message('x'), tools: [{ name: 't', input_schema: { type: 'object' } }], tool_choice: { type: 'auto' } } }] },
  { requests: [{ custom_id: 'c', params: message('y', { stream: true }) }, { custom_id: 'd', params: {} }] },
];

let principals = 0;
const RESULT_TYPES = ['succeeded', 'errored', 'canceled', 'expired'];

/**
 * Message Batches on any body a client can send: the create answers a batch or a LipError, and
 * every batch made ends with one result line per request, each a result of the protocol (the
 * requests run through the executor against a localstub backend; a malformed one is an errored
 * line, never a failure of the batch); list queries answer a page or a LipError.
 */
describe('fuzz: Message Batches (create, run, results, list)', function () {
  this.timeout(fuzzTimeout(60));
  let runtime: Runtime;
  let batches: Batches;
  before(() => {
    runtime = createRuntime(testConfig('  - { id: stub, kind: localstub }', 'server: { host: 127.0.0.1, port: 0, batch_concurrency: 8 }'));
    batches = new Batches(() => runtime, { check: () => undefined, charge: () => undefined }, { maxBatches: 100_000, endpoints: (path) => table.batchEndpoint(path) });
  });
  after(async () => {
    await batches.shutdown();
    await runtime.close();
  });

  it('answers mutated create bodies with a batch that ends with a line per request, or a LipError', async () => {
    await fc.assert(fc.asyncProperty(mutatedJsonText(SEEDS), async (text) => {
      const body = await answeredOrRefused(() => parseJson(text.text));
      if (body === undefined) return;
      const call: BatchCall = { frontend: anthropicFrontend, routes: anthropicBatchRoutes, principal: `fuzz-${++principals}`, origin: 'http://lip' };
      const made = await answeredOrRefused(() => batches.create({ ...call, body, key: undefined, headers: {} }) as Promise<Json>);
      if (made === undefined) return;
      const total = made.request_counts.processing as number;
      expect(total).to.equal((body as Json).requests.length);
      await until(async () => (await batches.retrieve(call, made.id) as Json).processing_status === 'ended', 'the batch ended', 30_000);
      let out = '';
      const res = { destroyed: false, writeHead() { /* status */ }, write(t: string) { out += t; return true; }, end() { /* done */ }, once() { return this; } };
      await batches.results(call, made.id, res as unknown as ServerResponse);
      const lines = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json);
      expect(lines.map((l) => l.custom_id)).to.deep.equal((body as Json).requests.map((r: Json) => r.custom_id));
      for (const line of lines) expect(RESULT_TYPES).to.include(line.result.type);
      const counts = (await batches.retrieve(call, made.id) as Json).request_counts;
      expect(counts.processing).to.equal(0);
      expect(counts.succeeded + counts.errored + counts.canceled + counts.expired).to.equal(total);
    }), fuzzParameters(0.2));
  });

  it('answers random list queries with a page or a LipError', async () => {
    const call: BatchCall = { frontend: anthropicFrontend, routes: anthropicBatchRoutes, principal: 'lister', origin: 'http://lip' };
    await batches.create({ ...call, body: SEEDS[0], key: undefined, headers: {} });
    const query = fc.tuple(fc.oneof(fc.string({ maxLength: 8 }), hostileText), fc.oneof(fc.string({ maxLength: 12 }), hostileText), fc.constantFrom('limit', 'after_id', 'before_id', 'x'))
      .map(([a, b, name]) => new URLSearchParams([['limit', a], [name, b]]));
    await fc.assert(fc.asyncProperty(query, async (q) => {
      try {
        const page = await batches.list(call, q) as Json;
        expect(page.data).to.be.an('array');
        expect(page.has_more).to.be.a('boolean');
      } catch (err) {
        expectLipError(err);
      }
    }), fuzzParameters(0.5));
  });
  it("reads any OpenAI input file into requests or line errors, and answers any create body with a batch or a LipError", async () => {
    const files = fc.oneof(
      fc.array(fc.oneof(hostileText, mutatedJsonText([{ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [] } }]).map((t) => t.text)), { maxLength: 6 }).map((lines) => lines.join('\n')),
      fc.string({ maxLength: 200 }),
    );
    const bodies = mutatedJsonText([{ input_file_id: 'file-in', endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { a: 'b' } }]);
    await fc.assert(fc.asyncProperty(files, bodies, async (text, body) => {
      const read = await readLines(text, '/v1/chat/completions', 5);
      if ('errors' in read) {
        expect(read.errors.length).to.be.within(1, 101);
        for (const e of read.errors) expect(e.code).to.be.a('string');
      } else {
        expect(read.requests.length).to.be.within(1, 5);
      }
      const parsed = await answeredOrRefused(() => parseJson(body.text));
      if (parsed === undefined) return;
      const inputs = { text: (id: string) => (id === 'file-in' ? Promise.resolve(text) : Promise.reject(new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 'no file', { param: 'input_file_id' }))) };
      try {
        const prepared = await openAIBatchRoutes.prepare(parsed, 5, inputs);
        expect(prepared.failed === undefined ? prepared.requests.length : 0).to.be.within(0, 5);
        JSON.stringify(openAIBatchRoutes.object({
          id: 'batch_1', status: 'ended', counts: { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 }, createdAt: 0, expiresAt: 1, endedAt: 1, cancelInitiatedAt: undefined,
          total: prepared.requests.length, fields: prepared.fields ?? {}, failed: prepared.failed, usage: { input: 0, output: 0, cacheRead: 0, reasoning: 0 }, outputFileId: undefined, errorFileId: undefined,
        }, ''));
      } catch (err) {
        expectLipError(err);
      }
    }), fuzzParameters(0.5));
  });
  it('answers any Gemini create body with inlined requests or a LipError', async () => {
    const seeds: Json[] = [
      { batch: { displayName: 'n', inputConfig: { requests: { requests: [{ request: { contents: [{ role: 'user', parts: [{ text: 'a' }] }] }, metadata: { key: 'k' } }] } } } },
      { batch: { input_config: { requests: { requests: [{ request: { model: 'models/m', contents: [] } }, { request: {} }] } } } },
    ];
    await fc.assert(fc.asyncProperty(mutatedJsonText(seeds), fc.oneof(fc.constant('m'), hostileText), async (text, model) => {
      const parsed = await answeredOrRefused(() => parseJson(text.text));
      if (parsed === undefined) return;
      try {
        const prepared = await geminiBatchRoutes.prepare(parsed, 5, undefined, { model });
        expect(prepared.requests.length).to.be.within(1, 5);
        for (const r of prepared.requests) JSON.stringify(geminiBatchRoutes.result(r.customId, { type: 'canceled' }, {}));
      } catch (err) {
        expectLipError(err);
      }
    }), fuzzParameters(0.5));
  });
});
