import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

// A computed specifier: the vendored suite is run as it is, never type-checked against lip's settings.
const suite = (await import(new URL('src/lib/compliance-tests.ts', SUITE).href)) as ComplianceSuite;

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

  // The suite's WebSocket cases send the authorization header on the upgrade: a `ws` socket can.
  let globalSocket: unknown;
  before(() => {
    globalSocket = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
  });
  after(() => {
    (globalThis as { WebSocket?: unknown }).WebSocket = globalSocket;
  });

  const kinds: readonly UpstreamKind[] = ['openai-chat', 'anthropic', 'gemini', 'openai-responses'];
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
