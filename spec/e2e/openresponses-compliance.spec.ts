import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import WebSocket from 'ws';
import type { RecordedRequest } from '../helpers/emulators/emulator-server.js';
import type { Script } from '../helpers/emulators/script.js';
import { useUpstreams, type UpstreamKind } from '../helpers/upstreams.js';

/**
 * The official Open Responses compliance suite (testdata/openresponses-compliance: version
 * 2026-04-24, vendored unedited) run against lip's `/v1/responses` with each HTTP backend kind
 * behind it, so that what it checks holds after translation: every Response object and every
 * streamed event against the specification's schemas, system prompts, tool calls, images,
 * multi-turn input, assistant phases, `/responses/compact`, and the WebSocket mode (sequential
 * turns, `store: false` continuation on the connection, `previous_response_not_found`, a failed
 * continuation forgetting its response, compaction starting a new chain).
 */

const SUITE = new URL('../../testdata/openresponses-compliance/', import.meta.url);

interface ComplianceTemplate { readonly id: string; readonly name: string }
interface ComplianceResult { readonly id: string; readonly status: string; readonly errors?: readonly string[] }
interface ComplianceConfig { baseUrl: string; apiKey: string; authHeaderName: string; useBearerPrefix: boolean; model: string; runtime: 'server' }
interface ComplianceSuite {
  readonly testTemplates: readonly ComplianceTemplate[];
  runAllTests(config: ComplianceConfig, onProgress: (result: ComplianceResult) => void, templates: readonly ComplianceTemplate[]): Promise<ComplianceResult[]>;
}

interface Schema { safeParse(value: unknown): { success: boolean; error?: { issues: { path: (string | number)[]; message: string }[] } } }

// Computed specifiers: the vendored suite is run as it is, never type-checked against lip's settings.
const suite = (await import(new URL('src/lib/compliance-tests.ts', SUITE).href)) as ComplianceSuite;
const { streamingEventSchema } = (await import(new URL('src/lib/sse-parser.ts', SUITE).href)) as { streamingEventSchema: Schema };
const { responseResourceSchema } = (await import(new URL('src/generated/kubb/zod/responseResourceSchema.ts', SUITE).href)) as { responseResourceSchema: Schema };

const GOLDEN = new URL('../../testdata/golden/openai-responses/', import.meta.url);
/** Goldens with OpenAI's hosted tools, whose items and events are OpenAI's extensions, not the specification's. */
const HOSTED = new Set(['hosted-tools-then-text', 'web-search-then-cited-text']);

/** The schema's complaints about `value`, one line each (none when it conforms). */
function issues(schema: Schema, value: unknown, what: string): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error!.issues.map((i) => `${what} ${i.path.join('.')}: ${i.message}`);
}

/** What the upstream answers: the suite's weather tool when the request offers tools, else counted text. */
function answer(request: RecordedRequest): Script {
  const tools = request.body?.tools;
  if (Array.isArray(tools) && tools.length > 0) {
    return { text: 'Let me look that up.', toolCalls: [{ name: 'get_weather', args: ['{"location":', '"San Francisco, CA"}'] }], usage: { input: 40, output: 12 } };
  }
  return { text: ['One, two, ', 'three, four, five.'], usage: { input: 20, output: 8 } };
}

describe('Open Responses compliance: the official suite through /v1/responses', function () {
  this.timeout(60_000);

  it('runs the vendored files unedited (their SHA-256 digests)', () => {
    const sums = readFileSync(new URL('SHA256SUMS', SUITE), 'utf8').trim().split('\n');
    expect(sums.length).to.be.greaterThan(100);
    for (const line of sums) {
      const [digest, path] = line.split(/\s+\*?/);
      expect(createHash('sha256').update(readFileSync(new URL(path!, SUITE))).digest('hex'), path).to.equal(digest);
    }
    // Every case of the suite runs below: a new upstream case is not left out by a list here.
    expect(suite.testTemplates.map((t) => t.id)).to.include.members(['basic-response', 'streaming-response', 'tool-calling', 'compact-response', 'websocket-failed-continuation-evicts-cache']);
  });

  it('every golden of a portable scenario conforms to the specification\'s schemas: each streamed event (response.failed and response.incomplete included) and each Response object', () => {
    const names = readdirSync(GOLDEN).filter((f) => /^[a-z-]+\.(sse|json)$/.test(f) && !HOSTED.has(f.replace(/\.(sse|json)$/, '')));
    expect(names).to.include.members(['failure-after-output.sse', 'length-stop.sse', 'reasoning-then-text.json', 'two-parallel-tool-calls-with-interleaved-argument-deltas.sse']);
    const found: string[] = [];
    for (const name of names) {
      const text = readFileSync(new URL(name, GOLDEN), 'utf8');
      if (name.endsWith('.json')) {
        found.push(...issues(responseResourceSchema, JSON.parse(text), name));
        continue;
      }
      const events = text.split('\n\n').map((block) => /^data: (.*)$/m.exec(block)?.[1]).filter((data): data is string => data !== undefined && data !== '[DONE]');
      expect(events.length, name).to.be.greaterThan(3);
      for (const data of events) found.push(...issues(streamingEventSchema, JSON.parse(data), `${name} ${(JSON.parse(data) as { type: string }).type}`));
    }
    expect(found).to.deep.equal([]);
  });

  // The suite's WebSocket cases send the authorization header on the upgrade: a `ws` socket can.
  let globalSocket: unknown;
  before(() => {
    globalSocket = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
  });
  after(() => {
    (globalThis as { WebSocket?: unknown }).WebSocket = globalSocket;
  });

  // custom-openresponses: Open Responses end to end (an Open Responses server behind lip, refusing what its specification does not define).
  const kinds: readonly UpstreamKind[] = ['openai-chat', 'anthropic', 'gemini', 'openai-responses', 'custom-openresponses'];
  for (const kind of kinds) {
    describe(`with a ${kind} backend`, () => {
      const up = useUpstreams({ up: { kind } });
      beforeEach(() => {
        up.emulators.up!.handler = answer;
      });

      for (const template of suite.testTemplates) {
        it(`${template.id}: ${template.name}`, async () => {
          const config: ComplianceConfig = { baseUrl: `${up.lip().url}/v1`, apiKey: 'sk-compliance', authHeaderName: 'Authorization', useBearerPrefix: true, model: 'up:model-x', runtime: 'server' };
          const [result] = await suite.runAllTests(config, () => {}, [template]);
          expect(result!.errors ?? [], template.id).to.deep.equal([]);
          expect(result!.status).to.equal('passed');
        });
      }
    });
  }
});
