import { expect } from 'chai';
import fc from 'fast-check';
import { validateCall } from '../../lib/canonical/index.js';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import type { DecodedEmbeddings, DecodedRequest, EmbeddingsRoute, GenerateRoute } from '../../lib/frontends/protocol.js';
import { parseJson } from '../../lib/wire/json-body.js';
import { expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { deeplyNestedJsonText, hostileText, mutatedJsonText } from './json-mutations.js';
import { SEED_EMBEDDINGS, SEED_REQUESTS } from './seed-requests.js';

/**
 * What the server does with a body (lib/server/handle-generate.ts): parse it (`parseJson`, where
 * the body's structural limits apply), decode it with the route, check the canonical call with
 * `validateCall`. Every failure must be a well-formed LipError; a decoded call must be checkable
 * without throwing and serialisable (backends encode it as JSON).
 */
function serve(route: GenerateRoute, body: Buffer | string, params: Record<string, string>): DecodedRequest | undefined {
  let decoded: DecodedRequest;
  try {
    decoded = route.decode(parseJson(body), { params, query: new URLSearchParams(), headers: {} });
  } catch (err) {
    expectLipError(err);
    return undefined;
  }
  const issues = validateCall(decoded.call);
  for (const issue of issues) expect(issue.path + issue.message).to.be.a('string');
  JSON.stringify(decoded.call);
  return decoded;
}

/** An embeddings body as the server takes it (lib/server/handle-embeddings.ts): parse, decode; a decoded request is serialisable. */
function serveEmbeddings(route: EmbeddingsRoute, body: Buffer | string, params: Record<string, string>): DecodedEmbeddings | undefined {
  try {
    const decoded = route.decode(parseJson(body), { params });
    JSON.stringify(decoded);
    expect(decoded.request.inputs.every((text) => typeof text === 'string')).to.equal(true);
    return decoded;
  } catch (err) {
    expectLipError(err);
    return undefined;
  }
}

const pathModels: fc.Arbitrary<string> = fc.oneof(fc.constant('gemini-x'), fc.constant('stub:stub-default'), hostileText, fc.string({ maxLength: 64 }));

describe('fuzz: frontend request decoders (parse, decode, validate as the server does)', function () {
  this.timeout(fuzzTimeout(30));

  for (const frontend of Object.values(FRONTENDS)) {
    const seeds = SEED_REQUESTS[frontend.id]!;
    for (const route of frontend.routes) {
      describe(`${frontend.id} ${route.path}`, () => {
        it('decodes every seed request into a valid call', () => {
          for (const seed of seeds) {
            const decoded = serve(route, JSON.stringify(seed), { model: 'gemini-x' });
            expect(decoded, JSON.stringify(seed).slice(0, 200)).to.not.equal(undefined);
            expect(validateCall(decoded!.call)).to.deep.equal([]);
          }
        });

        it('answers random JSON values with a call or a LipError', () => {
          fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), pathModels, (value, model) => {
            serve(route, JSON.stringify(value), { model });
          }), fuzzParameters());
        });

        it('answers mutated valid requests (wrong types, missing keys, nesting, huge and hostile strings) with a call or a LipError', () => {
          fc.assert(fc.property(mutatedJsonText(seeds), pathModels, (body, model) => {
            serve(route, body.text, { model });
          }), fuzzParameters(0.5));
        });

        // The depth pre-scan in parseJson answers these before any recursion (without it, a tool
        // schema nested 10,000 levels overflows the stack when the call is serialised).
        it('answers requests nested 1,000 to 100,000 levels deep with a call or a LipError (depth bounds)', () => {
          fc.assert(fc.property(deeplyNestedJsonText(seeds), (body) => {
            serve(route, body.text, { model: 'gemini-x' });
          }), fuzzParameters(0.2));
        });

        it('answers arbitrary bytes (invalid UTF-8, truncated JSON) with a call or a LipError', () => {
          const truncated = fc.tuple(fc.constantFrom(...seeds), fc.nat()).map(([seed, cut]) => {
            const text = JSON.stringify(seed);
            return Buffer.from(text.slice(0, cut % text.length));
          });
          const bytes = fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a));
          fc.assert(fc.property(fc.oneof(truncated, bytes), (body) => {
            serve(route, body, { model: 'gemini-x' });
          }), fuzzParameters(0.5));
        });
      });
    }
  }

  for (const frontend of Object.values(FRONTENDS)) {
    for (const route of frontend.embeddingsRoutes ?? []) {
      describe(`${frontend.id} ${route.path}`, () => {
        const seeds = SEED_EMBEDDINGS[route.path]!;

        it('decodes every seed request', () => {
          for (const seed of seeds) expect(serveEmbeddings(route, JSON.stringify(seed), { model: 'gemini-x' }), JSON.stringify(seed)).to.not.equal(undefined);
        });

        it('answers random JSON values, mutated and deeply nested requests with a request or a LipError', () => {
          fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), pathModels, (value, model) => { serveEmbeddings(route, JSON.stringify(value), { model }); }), fuzzParameters());
          fc.assert(fc.property(mutatedJsonText(seeds), pathModels, (body, model) => { serveEmbeddings(route, body.text, { model }); }), fuzzParameters(0.5));
          fc.assert(fc.property(deeplyNestedJsonText(seeds), (body) => { serveEmbeddings(route, body.text, { model: 'gemini-x' }); }), fuzzParameters(0.2));
        });
      });
    }
  }

  it('gemini: matching any path never throws, and a matched model is a string', () => {
    const paths = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.tuple(fc.constantFrom('/v1beta/models/', '/v1/models/'), fc.string({ maxLength: 40 }), fc.constantFrom(':generateContent', ':streamGenerateContent', ':embedContent', ':batchEmbedContents', ':x', ''))
        .map(([a, b, c]) => a + b + c),
      fc.tuple(hostileText, fc.constantFrom('%', '%E0%A4%A', '%zz', '%C0%80')).map(([t, p]) => `/v1beta/models/${t}${p}:generateContent`),
    );
    fc.assert(fc.property(paths, (path) => {
      for (const route of [...FRONTENDS.gemini!.routes, ...FRONTENDS.gemini!.embeddingsRoutes!]) {
        const params = route.match!(path);
        if (params !== undefined) expect(params.model).to.be.a('string');
      }
    }), fuzzParameters());
  });
});
