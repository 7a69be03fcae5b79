import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/** One step: a request sent (and seen upstream before the next step), or a reload. */
type Step =
  | { readonly kind: 'request'; readonly api: 'chat' | 'responses'; readonly model: 'a:gpt-4o' | 'b:gpt-4o' | 'my-model'; readonly stream: boolean; readonly dripMs: number; readonly leaveAfterMs?: number }
  | { readonly kind: 'reload'; readonly config: Generation };

/** A config: where backends `a` and `b` point (upstream A or B: swapped or not) and which the default route names. */
interface Generation { readonly swapped: boolean; readonly defaultTo: 'a' | 'b' }
const generation: fc.Arbitrary<Generation> = fc.record({ swapped: fc.boolean(), defaultTo: fc.constantFrom<'a' | 'b'>('a', 'b') });

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('request' as const), api: fc.constantFrom<'chat' | 'responses'>('chat', 'responses'), model: fc.constantFrom<'a:gpt-4o' | 'b:gpt-4o' | 'my-model'>('a:gpt-4o', 'b:gpt-4o', 'my-model'), stream: fc.boolean(), dripMs: fc.constantFrom(0, 5, 20, 40), leaveAfterMs: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined, freq: 3 }) }, { requiredKeys: ['kind', 'api', 'model', 'stream', 'dripMs'] }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reload' as const), config: generation }) },
);

/** What a request came to: the text it read whole (and the id of a stored response), that its client left, or that a shutdown ended it. */
type Outcome = { readonly text: string; readonly stored?: string } | { readonly left: true } | { readonly cut: string };

type Json = Record<string, any>;

/** The data of each event of an SSE body. */
const events = (body: string): Json[] => body.split('\n').filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]').map((l) => JSON.parse(l.slice(6)) as Json);

/** The assistant text of a Responses object. */
const responseText = (r: Json): string => (r.output as Json[]).flatMap((i) => (i.type === 'message' ? (i.content as Json[]).map((c) => c.text as string) : [])).join('');

/** The assistant text of an answer, streamed (SSE) or whole, and the stored response's id (Responses). */
function read(body: string, api: 'chat' | 'responses', stream: boolean): Outcome {
  if (api === 'chat') {
    if (!stream) return { text: (JSON.parse(body) as Json).choices[0].message.content as string };
    const read = events(body);
    const failed = read.find((e) => e.error !== undefined);
    if (failed) return { cut: String(failed.error.code) };
    return { text: read.map((e) => (e.choices[0]?.delta.content as string | undefined) ?? '').join('') };
  }
  if (!stream) {
    const response = JSON.parse(body) as Json;
    return { text: responseText(response), stored: response.id as string };
  }
  const read = events(body);
  const completed = read.find((e) => e.type === 'response.completed');
  if (completed === undefined) return { cut: String(read.find((e) => e.type === 'error')?.code ?? read.at(-1)?.type) };
  return { text: responseText(completed.response as Json), stored: completed.response.id as string };
}

/**
 * Reloads under traffic: a real lip server with two backends, `a` and `b`, over two upstreams
 * (wire-exact OpenAI Chat emulators, each answering with its own name in a stream it drips),
 * reloaded at any point between requests to a runtime whose backends point at either upstream
 * (swapped or not) and whose default route names either backend. Requests name a backend or
 * a model only the default route serves. Requests stream or not, drip
 * slowly enough to be in flight across several reloads, and their clients may leave at any
 * moment; the reloads go through the `Reloader` (SIGHUP, `/admin/config/reload`), recording on.
 * Each request (Chat, or Responses stored) is answered whole by the upstream of the config it
 * arrived under (a reload never cuts or re-routes a request already running), its stored
 * response is retrieved afterwards by the running server, each client that leaves has its
 * upstream request closed, no upstream response stays open, and every exchange, whichever
 * runtime it ran on, is in the recording. Or the server shuts down while the last requests
 * run: each then ends whole or with the shutdown's own error, and is recorded all the same.
 */
describe('fuzz: reloads under traffic', function () {
  this.timeout(fuzzTimeout(600));
  const upstreams: Emulator[] = [];
  let server: LipServer;
  let n = 0;

  before(async () => {
    for (const name of ['A', 'B']) {
      const emulator = await startOpenAIChatEmulator();
      // Its name first, then the request's own words, dripped as the request asks.
      emulator.handler = (r) => {
        const asked = String(r.body.messages.at(-1).content);
        const drip = Number(/drip=(\d+)/.exec(asked)?.[1] ?? 0);
        return { text: [`${name}:`, ...asked.split(' ')], dripMs: drip };
      };
      upstreams.push(emulator);
    }
  });
  after(async () => {
    await server?.shutdown(1_000);
    for (const u of upstreams) await u.close();
  });

  it('a request is answered whole by the upstream of the config it arrived under, its stored response and its recording kept', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), fc.boolean(), async (steps, stopEarly) => {
      let stopping = false;
      const dir = mkdtempSync(join(tmpdir(), 'lip-fz-reload-'));
      /** The config of a generation: recording on (every exchange must reach the file), stored responses in memory. */
      const configOf = (g: Generation): Config => {
        const [a, b] = g.swapped ? [upstreams[1]!, upstreams[0]!] : [upstreams[0]!, upstreams[1]!];
        return testConfig(`  - { id: a, kind: openai-chat, base_url: "${a.url}", api_key: k-0123456789 }
  - { id: b, kind: openai-chat, base_url: "${b.url}", api_key: k-0123456789 }`, `routing: { default_route: "${g.defaultTo}:gpt-4o" }
recording: { enabled: true, path: "${join(dir, 'traffic.jsonl')}" }`);
      };
      /** The upstream (0: A, 1: B) that serves `model` under `g`. */
      const upstreamOf = (model: string, g: Generation) => {
        const backend = model === 'my-model' ? g.defaultTo : model[0];
        return (backend === 'a') === !g.swapped ? 0 : 1;
      };
      for (const u of upstreams) u.reset();
      const sink = new PassThrough();
      sink.resume();
      let current: Generation = { swapped: false, defaultTo: 'a' };
      const logger = createLogger({ level: 'error', format: 'json', stream: sink });
      server = new LipServer(createRuntime(configOf(current), { logger }), logger);
      const reloader = new Reloader(server, () => configOf(current), logger);
      await server.listen('127.0.0.1', 0);
      const requests: { readonly words: string; readonly expected: string; readonly leaves: boolean; readonly done: Promise<Outcome> }[] = [];
      try {
        for (const s of steps) {
          if (s.kind === 'reload') {
            current = s.config;
            const outcome = await reloader.reload('api');
            expect(outcome.status, JSON.stringify(outcome)).to.be.oneOf(['reloaded', 'unchanged']);
            continue;
          }
          const words = `req${n++} drip=${s.dripMs} one two three`;
          const upstream = upstreamOf(s.model, current);
          const target = upstreams[upstream]!;
          const seen = target.requests.length;
          const controller = new AbortController();
          const done = (async (): Promise<Outcome> => {
            try {
              const res = await fetch(`${server.url}/v1/${s.api === 'chat' ? 'chat/completions' : 'responses'}`, {
                method: 'POST', signal: controller.signal, headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ model: s.model, stream: s.stream, ...(s.api === 'chat' ? { messages: [{ role: 'user', content: words }] } : { input: words }) }),
              });
              const body = await res.text();
              // A shutdown before the answer: its own error (the server shutting down), in the protocol's envelope.
              if (stopping && res.status === 503) return { cut: String((JSON.parse(body) as Json).error.code) };
              expect(res.status, body).to.equal(200);
              return read(body, s.api, s.stream);
            } catch (err) {
              if (controller.signal.aborted) return { left: true };
              // A shutdown closes the connections of the answers still going after its grace.
              if (stopping) return { cut: 'connection closed' };
              throw err;
            }
          })();
          requests.push({ words, expected: `${['A', 'B'][upstream]}:${words.split(' ').join('')}`, leaves: s.leaveAfterMs !== undefined, done });
          // The next step only once the upstream has the request: it arrived under this config.
          await until(() => target.requests.length > seen, 'the request upstream', 10_000);
          if (s.leaveAfterMs !== undefined) setTimeout(() => controller.abort(), s.leaveAfterMs);
        }
        // Or a shutdown now, while requests run: those it ends get its error, every exchange is still recorded.
        const stopped = stopEarly ? (stopping = true, server.shutdown(100)) : undefined;
        const outcomes = await Promise.all(requests.map((r) => r.done));
        await stopped;
        for (const [i, r] of requests.entries()) {
          const outcome = outcomes[i]!;
          if ('left' in outcome) {
            expect(r.leaves, `request ${i} cut`).to.equal(true);
            continue;
          }
          if ('cut' in outcome) {
            expect(stopEarly, `request ${i} cut: ${outcome.cut}`).to.equal(true);
            expect(outcome.cut).to.be.oneOf(['LIP_ERR_SERVER_SHUTTING_DOWN', 'connection closed']);
            continue;
          }
          if (stopEarly) continue;
          expect(outcome.text, `request ${i}`).to.equal(r.expected);
          // A stored response is kept whatever reload came while it ran: the running server retrieves it.
          if (outcome.stored !== undefined) {
            const got = await fetch(`${server.url}/v1/responses/${outcome.stored}`);
            expect(got.status, `request ${i} stored`).to.equal(200);
            expect(responseText(await got.json() as Json)).to.equal(r.expected);
          }
        }
        await until(() => upstreams.every((u) => u.openResponses === 0), 'every upstream response closed', 10_000);
        // Every exchange reached the recording, whichever runtime it ran on (written by the time the server has stopped).
        await server.shutdown(1_000);
        const recorded = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
        for (const [i, r] of requests.entries()) expect(recorded, `request ${i} recorded`).to.contain(r.words);
      } finally {
        await Promise.allSettled(requests.map((r) => r.done));
        await server.shutdown(1_000);
        rmSync(dir, { recursive: true, force: true });
      }
    }), fuzzParameters(0.2));
  });
});
