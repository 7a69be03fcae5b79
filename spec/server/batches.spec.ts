import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { createTracing } from '../../lib/observability/tracing.js';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRuntime, type Runtime } from '../../lib/core/runtime.js';
import { LipError } from '../../lib/errors/index.js';
import { anthropicFrontend } from '../../lib/frontends/anthropic/index.js';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { anthropicBatchRoutes } from '../../lib/frontends/anthropic/message-batches.js';
import { openAIBatchRoutes, openAIFileRoutes } from '../../lib/frontends/openai-chat/batches.js';
import { openaiChatFrontend } from '../../lib/frontends/openai-chat/frontend.js';
import { BatchFileStore } from '../../lib/server/files.js';
import { BATCH_EXPIRY_MS, BATCH_HEARTBEAT_MS, BATCH_ORPHANED_MS, Batches, type BatchBudgets, type BatchCall, type BatchRequestReport } from '../../lib/server/batches.js';
import { RouteTable } from '../../lib/server/route-table.js';
import { storedResponses } from '../../lib/server/stored-responses.js';
import { derivedId } from '../../lib/wire/ids.js';
import { collectEvents } from '../../lib/canonical/index.js';
import { storedResponseObject } from '../../lib/frontends/openai-responses/stored-response.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';
import { refusal } from '../helpers/lip-errors.js';

type Json = Record<string, any>;

/** Every protocol's generation routes, as a server serving them all finds a batch's endpoint. */
const table = new RouteTable(Object.values(FRONTENDS));

const call = (principal = 'alice'): BatchCall => ({ frontend: anthropicFrontend, routes: anthropicBatchRoutes, principal, origin: 'http://lip.test' });
const params = (text: string, extra: Json = {}) => ({ model: 'oc:gpt-4o', max_tokens: 16, messages: [{ role: 'user', content: text }], ...extra });
const requests = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => ({ custom_id: `${prefix}${i}`, params: params(`${prefix}${i}`) }));
const noBudgets: BatchBudgets = { check: () => undefined, charge: () => undefined };

/** The results of a batch as `Batches.results` writes them (status, content type, lines). */
async function results(batches: Batches, id: string, as = call()): Promise<{ status: number; type: string; lines: Json[] }> {
  let status = 0;
  let type = '';
  let text = '';
  const res = {
    destroyed: false,
    headersSent: false,
    writeHead(s: number, h: Record<string, string>) { status = s; type = h['content-type']!; this.headersSent = true; },
    write(t: string) { text += t; return true; },
    end() { /* done */ },
    once() { return this; },
  };
  await batches.results(as, id, res as unknown as ServerResponse);
  return { status, type, lines: text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json) };
}


/** What the text of an emulator request was (the batch request it came from). */
const textOf = (body: Json): string => body.messages.at(-1).content;

/**
 * The batch engine (lib/server/batches.ts) on a real runtime (memory continuity store) in front
 * of the OpenAI Chat emulator: concurrency and turns between batches, cancels here and from
 * another instance (through the shared store's record), a runner that went away, the day's
 * expiry on a moved clock, shutdown, results kept 100 to a record, budgets, the caller's scope,
 * lists and limits. End to end through the SDK: spec/e2e/message-batches.spec.ts.
 */
describe('server/batches', function () {
  this.timeout(20_000);
  let chat: Emulator;
  let runtime: Runtime;
  let config: Json;
  const runtimes: Runtime[] = [];
  const open: Batches[] = [];
  const make = (options: ConstructorParameters<typeof Batches>[2] = {}, budgets = noBudgets) => {
    const b = new Batches(() => runtime, budgets, { endpoints: (path) => table.batchEndpoint(path), ...options });
    open.push(b);
    return b;
  };
  const start = (server = 'batch_concurrency: 2', extra = '') => {
    runtime = createRuntime(testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, `server: { host: 127.0.0.1, port: 0, ${server} }\n${extra}`));
    config = runtime.config as unknown as Json;
    runtimes.push(runtime);
  };

  before(async () => {
    chat = await startOpenAIChatEmulator();
  });
  after(async () => {
    await chat?.close();
  });
  beforeEach(() => {
    chat.reset();
    start();
  });
  afterEach(async () => {
    for (const b of open.splice(0)) await b.shutdown();
    for (const r of runtimes.splice(0)) await r.close();
  });

  it('runs a batch: every request decoded and answered as a Messages request, results in request order, the record ended', async () => {
    chat.handler = (r) => ({ text: `echo ${textOf(r.body)}`, usage: { input: 3, output: 2 } });
    const batches = make();
    const made = await batches.create({ ...call(), body: { requests: requests(3) }, key: undefined, headers: {} }) as Json;
    expect(made).to.include({ type: 'message_batch', processing_status: 'in_progress', results_url: null, ended_at: null, cancel_initiated_at: null, archived_at: null });
    expect(made.request_counts).to.deep.equal({ processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 });
    expect(Date.parse(made.expires_at) - Date.parse(made.created_at)).to.equal(BATCH_EXPIRY_MS);
    expect(made.id).to.match(/^msgbatch_[A-Za-z0-9]{24}$/);
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
    const ended = await batches.retrieve(call(), made.id) as Json;
    expect(ended.request_counts).to.deep.equal({ processing: 0, succeeded: 3, errored: 0, canceled: 0, expired: 0 });
    expect(ended.results_url).to.equal(`http://lip.test/v1/messages/batches/${made.id}/results`);
    expect(Date.parse(ended.ended_at)).to.be.at.least(Date.parse(ended.created_at));
    const out = await results(batches, made.id);
    expect(out.status).to.equal(200);
    expect(out.type).to.equal('application/x-jsonl');
    expect(out.lines.map((l) => l.custom_id)).to.deep.equal(['r0', 'r1', 'r2']);
    for (const [i, line] of out.lines.entries()) {
      expect(line.result.type).to.equal('succeeded');
      expect(line.result.message).to.include({ type: 'message', role: 'assistant', stop_reason: 'end_turn' });
      expect(line.result.message.content).to.deep.equal([{ type: 'text', text: `echo r${i}` }]);
      expect(line.result.message.usage).to.include({ input_tokens: 3, output_tokens: 2 });
    }
    expect(chat.requests.map((r) => textOf(r.body)).sort()).to.deep.equal(['r0', 'r1', 'r2']);
    expect(chat.requests.every((r) => r.body.max_tokens === 16 || r.body.max_completion_tokens === 16)).to.equal(true);
    expect([...batches.outcomes]).to.deep.equal([['succeeded', 3]]);
  });

  it('reports each request that ran (for the access log): its status, what served it, its tokens; not one a cancel ended before it started', async () => {
    chat.handler = (r) => (textOf(r.body) === 'r2' ? { fault: { stall: 'before_headers' } } : { text: 'ok', usage: { input: 3, output: 2 } });
    start('batch_concurrency: 1', 'logging: { access_log: true }');
    const reports: BatchRequestReport[] = [];
    const batches = make({ report: (r) => reports.push(r) });
    const made = await batches.create({
      ...call(), key: undefined, headers: {},
      body: { requests: [...requests(1), { custom_id: 'bad', params: { model: 'oc:gpt-4o', messages: [] } }, ...requests(4).slice(2)] },
    }) as Json;
    await until(() => chat.requests.length === 2, 'the third request upstream');
    await batches.cancel(call(), made.id);
    await until(() => reports.length === 3, 'three reports');
    expect(reports.map((r) => [r.requestId, r.status, r.endpoint, r.model, r.frontend, r.principal])).to.deep.equal([
      [`${made.id}/r0`, 200, '/v1/messages', 'oc:gpt-4o', 'anthropic', 'alice'],
      [`${made.id}/bad`, 400, '/v1/messages', 'oc:gpt-4o', 'anthropic', 'alice'],
      [`${made.id}/r2`, 499, '/v1/messages', 'oc:gpt-4o', 'anthropic', 'alice'],
    ]);
    expect(reports[0]!.meta).to.deep.include({ candidateKey: 'oc:gpt-4o', attempts: 1 });
    expect(reports[0]!.meta.usage).to.include({ inputTokens: 3, outputTokens: 2 });
    expect(reports[1]!.errorCode).to.equal('LIP_ERR_REQUEST_INVALID');
    // r3 never started: nothing to report.
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'ended');
    expect(reports).to.have.length(3);
  });

  it('traces each request that runs as a SERVER span under the create\'s traceparent, its attempts under it', async () => {
    chat.handler = (r) => (textOf(r.body) === 'r1' ? { status: 400, error: { message: 'no' } } : { text: 'ok' });
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ enabled: true, service_name: 'lip-test', exporter: 'otlp', sample_ratio: 1 }, { exporter, simple: true })!;
    try {
      const batches = make({ trace: (headers) => tracing.startRequest('POST', headers) });
      const made = await batches.create({ ...call(), body: { requests: requests(2) }, key: undefined, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }) as Json;
      await until(() => exporter.getFinishedSpans().filter((sp) => sp.kind === 1).length === 2, 'two request spans');
      const servers = exporter.getFinishedSpans().filter((sp) => sp.kind === 1).sort((a, b) => String(a.attributes['lip.request_id']).localeCompare(String(b.attributes['lip.request_id'])));
      expect(servers.map((sp) => [sp.name, sp.spanContext().traceId, sp.parentSpanContext?.spanId])).to.deep.equal([
        ['POST /v1/messages', '0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'],
        ['POST /v1/messages', '0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'],
      ]);
      expect(servers[0]!.attributes).to.deep.include({ 'lip.request_id': `${made.id}/r0`, 'lip.batch_id': made.id, 'lip.frontend': 'anthropic', 'lip.served': 'oc:gpt-4o', 'lip.batch_outcome': 'succeeded', 'http.response.status_code': 200 });
      expect(servers[1]!.attributes).to.deep.include({ 'lip.batch_outcome': 'errored', 'http.response.status_code': 400 });
      const attempts = exporter.getFinishedSpans().filter((sp) => sp.kind === 2);
      expect(attempts.map((sp) => sp.parentSpanContext?.spanId).sort()).to.deep.equal(servers.map((sp) => sp.spanContext().spanId).sort());
    } finally {
      await tracing.shutdown();
    }
  });

  it('runs at most server.batch_concurrency requests at once, taking the batches in turn', async () => {
    chat.handler = () => ({ fault: { stall: 'before_headers' } });
    const batches = make();
    const a = await batches.create({ ...call(), body: { requests: requests(3, 'a') }, key: undefined, headers: {} }) as Json;
    const b = await batches.create({ ...call(), body: { requests: requests(3, 'b') }, key: undefined, headers: {} }) as Json;
    await until(() => chat.requests.length === 2, 'two requests upstream');
    // The first batch took the one slot left free by the second's create only after its own turn.
    expect(batches.requestsRunning).to.equal(2);
    expect(chat.requests.map((r) => textOf(r.body)).sort()).to.deep.equal(['a0', 'a1']);
    // One ends (cancelled with its batch): the next request comes from the other batch first.
    await batches.cancel(call(), a.id);
    await until(() => chat.requests.length === 4, 'the other batch runs');
    expect(chat.requests.slice(2).map((r) => textOf(r.body)).sort()).to.deep.equal(['b0', 'b1']);
    await batches.cancel(call(), b.id);
    await until(() => chat.closes.length === 4, 'every stalled upstream request closed');
  });

  it('runs a request whose stage makes an auxiliary call (a pre-request judge): its A-leg is named from the request id, `/` and all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-batch-judge-'));
    try {
      writeFileSync(join(dir, 'judge.md'), 'You are the admission judge.');
      start('batch_concurrency: 1', `features:\n  - { id: pre-request-policy, config: { prompt_dir: ${JSON.stringify(dir)}, handlers: [{ id: j, prompt_filename: judge.md, model_routing_string: "oc:judge", deny_pattern: DENY }] } }`);
      chat.handler = (r) => (r.body.model === 'judge' ? { text: 'VERDICT: ALLOW' } : { text: `echo ${textOf(r.body)}` });
      const batches = make();
      const made = await batches.create({ ...call(), body: { requests: requests(2) }, key: undefined, headers: {} }) as Json;
      await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
      const out = await results(batches, made.id);
      expect(out.lines.map((l) => [l.custom_id, l.result.type])).to.deep.equal([['r0', 'succeeded'], ['r1', 'succeeded']]);
      expect(chat.requests.map((r) => r.body.model)).to.deep.equal(['judge', 'gpt-4o', 'judge', 'gpt-4o']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cancel stops starting requests and aborts the running ones (the upstream sees the close); what never ran is canceled', async () => {
    chat.handler = (r) => (textOf(r.body) === 'r0' ? { text: 'done' } : { fault: { stall: 'before_headers' } });
    start('batch_concurrency: 1');
    const batches = make();
    const made = await batches.create({ ...call(), body: { requests: requests(4) }, key: undefined, headers: {} }) as Json;
    await until(() => chat.requests.length === 2, 'the second request upstream');
    const cancelled = await batches.cancel(call(), made.id) as Json;
    expect(cancelled.processing_status).to.be.oneOf(['canceling', 'ended']);
    expect(cancelled.cancel_initiated_at).to.be.a('string');
    await until(() => chat.closes.length === 1, 'the running request aborted');
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
    const ended = await batches.retrieve(call(), made.id) as Json;
    expect(ended.request_counts).to.deep.equal({ processing: 0, succeeded: 1, errored: 0, canceled: 3, expired: 0 });
    expect(ended.cancel_initiated_at).to.equal(cancelled.cancel_initiated_at);
    expect((await results(batches, made.id)).lines.map((l) => [l.custom_id, l.result.type])).to.deep.equal([['r0', 'succeeded'], ['r1', 'canceled'], ['r2', 'canceled'], ['r3', 'canceled']]);
    expect(chat.requests).to.have.length(2);
    // Cancelling an ended batch changes nothing.
    expect((await batches.cancel(call(), made.id) as Json).request_counts).to.deep.equal(ended.request_counts);
  });

  it('a cancel that comes while an ended batch writes its last records changes nothing', async () => {
    chat.handler = () => ({ text: 'ok' });
    let gate: (() => void) | undefined;
    let gated = false;
    const continuity = runtime.continuity;
    const held = new Proxy(continuity, {
      get(target, name) {
        if (name === 'exclusive') {
          return async (key: string, change: () => Promise<unknown>) => {
            if (gated) await new Promise<void>((resolve) => { gate = resolve; });
            return target.exclusive(key, change);
          };
        }
        const value = (target as never)[name] as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const view = { ...runtime, continuity: held } as Runtime;
    const batches = new Batches(() => view, noBudgets, { endpoints: (path) => table.batchEndpoint(path) });
    open.push(batches);
    const made = await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }) as Json;
    gated = true;
    await until(() => gate !== undefined, 'the ending waits to write');
    const answer = await batches.cancel(call(), made.id) as Json;
    expect(answer).to.include({ processing_status: 'ended', cancel_initiated_at: null });
    gated = false;
    gate!();
    await until(() => batches.running === 0, 'the batch ended');
    const ended = await batches.retrieve(call(), made.id) as Json;
    expect(ended).to.include({ processing_status: 'ended', cancel_initiated_at: null });
    expect(ended.request_counts).to.deep.equal({ processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 0 });
  });

  it('a delete that comes while an ended batch writes its last records waits for them: nothing brings it back', async () => {
    chat.handler = () => ({ text: 'ok' });
    let gate: (() => void) | undefined;
    let gated = false;
    const continuity = runtime.continuity;
    const held = new Proxy(continuity, {
      get(target, name) {
        if (name === 'exclusive') {
          return async (key: string, change: () => Promise<unknown>) => {
            if (gated) {
              gated = false;
              await new Promise<void>((resolve) => { gate = resolve; });
            }
            return target.exclusive(key, change);
          };
        }
        const value = (target as never)[name] as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const view = { ...runtime, continuity: held } as Runtime;
    const batches = new Batches(() => view, noBudgets, { endpoints: (path) => table.batchEndpoint(path) });
    open.push(batches);
    const made = await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }) as Json;
    gated = true;
    await until(() => gate !== undefined, 'the ending waits to write');
    const deleting = batches.delete(call(), made.id);
    // Turns enough for a delete that does not wait to be done with the store (a few of its own).
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    gate!();
    expect(await deleting).to.deep.equal({ id: made.id, type: 'message_batch_deleted' });
    await until(() => batches.running === 0, 'the batch ended');
    expect(await refusal(batches.retrieve(call(), made.id))).to.include({ status: 404 });
    expect(((await batches.list(call(), new URLSearchParams())) as Json).data).to.deep.equal([]);
  });

  it('a cancel made on another instance reaches the runner through the record, at its next write', async () => {
    chat.handler = () => ({ fault: { stall: 'before_headers' } });
    let clock = Date.now();
    const runner = make({ now: () => clock });
    const other = make({ now: () => clock });
    const made = await runner.create({ ...call(), body: { requests: requests(3) }, key: undefined, headers: {} }) as Json;
    await until(() => chat.requests.length === 2, 'two requests upstream');
    const seen = await other.cancel(call(), made.id) as Json;
    expect(seen).to.include({ processing_status: 'canceling' });
    expect(chat.closes).to.have.length(0);
    clock += BATCH_HEARTBEAT_MS;
    await runner.tick();
    await until(() => chat.closes.length === 2, 'the runner aborted its requests');
    await until(async () => (await other.retrieve(call(), made.id) as Json).processing_status === 'ended', 'ended, as the other instance reads it');
    const ended = await other.retrieve(call(), made.id) as Json;
    expect(ended.request_counts).to.deep.equal({ processing: 0, succeeded: 0, errored: 0, canceled: 3, expired: 0 });
    expect(ended.cancel_initiated_at).to.equal(seen.cancel_initiated_at);
    expect((await results(other, made.id)).lines.map((l) => l.result.type)).to.deep.equal(['canceled', 'canceled', 'canceled']);
  });

  it('a batch whose runner stopped writing for a minute has ended for every other instance: what had not ended expired', async () => {
    chat.handler = (r) => (textOf(r.body) === 'r0' ? { text: 'done' } : { fault: { stall: 'before_headers' } });
    let clock = Date.now();
    const runner = make({ now: () => clock });
    const other = make({ now: () => clock });
    const made = await runner.create({ ...call(), body: { requests: requests(3) }, key: undefined, headers: {} }) as Json;
    await until(() => chat.requests.length === 3, 'every request upstream');
    clock += 1_000;
    await runner.tick();
    expect((await other.retrieve(call(), made.id) as Json).processing_status).to.equal('in_progress');
    clock += BATCH_ORPHANED_MS - 1;
    expect((await other.retrieve(call(), made.id) as Json).processing_status).to.equal('in_progress');
    clock += 1;
    const ended = await other.retrieve(call(), made.id) as Json;
    expect(ended.processing_status).to.equal('ended');
    // The runner's write a second after r0 ended is the last sign of life: the batch ended then.
    expect(Date.parse(ended.ended_at)).to.equal(clock - BATCH_ORPHANED_MS);
    // No chunk was complete: every line of it expired, r0's too (its line was never written),
    // and the counts say what the lines say (the record had counted r0 succeeded).
    expect((await results(other, made.id)).lines.map((l) => l.result.type)).to.deep.equal(['expired', 'expired', 'expired']);
    expect(ended.request_counts).to.deep.equal({ processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 3 });
    expect(await refusal(other.delete(call('bob'), made.id))).to.include({ code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND' });
    expect(await other.delete(call(), made.id)).to.deep.equal({ id: made.id, type: 'message_batch_deleted' });
  });

  it('an orphaned batch is counted from its stored lines: a chunk written after the record was last written counts', async () => {
    start('batch_concurrency: 8');
    chat.handler = (r) => (textOf(r.body) === 'r100' ? { fault: { stall: 'before_headers' } } : { text: 'done' });
    let clock = Date.now();
    const runner = make({ now: () => clock });
    const other = make({ now: () => clock });
    const made = await runner.create({ ...call(), body: { requests: requests(101) }, key: undefined, headers: {} }) as Json;
    // The first chunk's 100 lines are written as its last request ends; the record, written
    // once a second at most, is not written again (the clock stands still) before the runner goes.
    await until(() => chat.requests.length === 101, 'every request upstream');
    await until(async () => {
      const stored = await storedResponses(runtime.continuity, 'alice').load(`${made.id}/results-0`).catch(() => undefined);
      return Array.isArray((stored?.echo?.lip_batch_chunk as Json | undefined)?.lines);
    }, 'the first chunk written');
    clock += BATCH_ORPHANED_MS;
    const ended = await other.retrieve(call(), made.id) as Json;
    expect(ended.processing_status).to.equal('ended');
    const types = (await results(other, made.id)).lines.map((l) => l.result.type);
    expect([types.filter((t) => t === 'succeeded').length, types.filter((t) => t === 'expired').length]).to.deep.equal([100, 1]);
    expect(ended.request_counts).to.deep.equal({ processing: 0, succeeded: 100, errored: 0, canceled: 0, expired: 1 });
  });

  it('requests not started within a day of the create expire', async () => {
    let clock = Date.now();
    start('batch_concurrency: 1');
    chat.handler = () => ({ text: 'first' });
    const batches = make({ now: () => clock });
    const made = await batches.create({ ...call(), body: { requests: requests(3) }, key: undefined, headers: {} }) as Json;
    // The first request has started; the day is over before the next would.
    clock += BATCH_EXPIRY_MS;
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
    const ended = await batches.retrieve(call(), made.id) as Json;
    expect(ended.request_counts).to.deep.equal({ processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 2 });
    expect((await results(batches, made.id)).lines.map((l) => l.result.type)).to.deep.equal(['succeeded', 'expired', 'expired']);
    expect(chat.requests).to.have.length(1);
  });

  it('a shutdown ends the running requests (aborted upstream) and the batch, with what had not ended expired', async () => {
    chat.handler = () => ({ fault: { stall: 'before_headers' } });
    const batches = make();
    const other = make();
    const made = await batches.create({ ...call(), body: { requests: requests(3) }, key: undefined, headers: {} }) as Json;
    await until(() => chat.requests.length === 2, 'two requests upstream');
    await batches.drain(10);
    await batches.shutdown();
    await until(() => chat.closes.length === 2, 'both upstream requests closed');
    expect(batches.running).to.equal(0);
    const ended = await other.retrieve(call(), made.id) as Json;
    expect(ended.processing_status).to.equal('ended');
    expect(ended.request_counts).to.deep.equal({ processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 3 });
    expect(await refusal(batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }))).to.include({ code: 'LIP_ERR_SERVER_SHUTTING_DOWN' });
  });

  it('ends a batch past its day at the next tick even when none of its requests ends, and starts more when a reload raised the concurrency', async () => {
    chat.handler = () => ({ fault: { stall: 'before_headers' } });
    let clock = Date.now();
    start('batch_concurrency: 1');
    const batches = make({ now: () => clock });
    const made = await batches.create({ ...call(), body: { requests: requests(4) }, key: undefined, headers: {} }) as Json;
    await until(() => chat.requests.length === 1, 'one request upstream');
    config.server.batch_concurrency = 3;
    await batches.tick();
    await until(() => chat.requests.length === 3, 'two more upstream after the tick');
    clock += BATCH_EXPIRY_MS;
    await batches.tick();
    await until(() => chat.closes.length === 3, 'the running requests ended');
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
    expect((await batches.retrieve(call(), made.id) as Json).request_counts).to.deep.equal({ processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 4 });
  });

  it('writes its result chunks again while it runs past half of continuity.ttl and when it ends, and its caller\'s list, so that they last as long as its record', async () => {
    let clock = Date.now();
    const saved: string[] = [];
    const continuity = runtime.continuity;
    const watched = new Proxy(continuity, {
      get(target, name) {
        if (name === 'saveResponse') return (record: { id: string }) => { saved.push(record.id); target.saveResponse(record as never); };
        const value = (target as never)[name] as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const view = { ...runtime, continuity: watched } as Runtime;
    const batches = new Batches(() => view, noBudgets, { endpoints: (path) => table.batchEndpoint(path), now: () => clock });
    open.push(batches);
    chat.handler = (r) => (textOf(r.body) === 'r100' ? { fault: { stall: 'before_headers' } } : { text: 'ok' });
    const made = await batches.create({ ...call(), body: { requests: requests(101) }, key: undefined, headers: {} }) as Json;
    const chunk0 = `${made.id}/results-0`;
    const writes = (id: string) => saved.filter((s) => s === id).length;
    // Written at the create (custom ids), then with its lines.
    await until(() => writes(chunk0) === 2, 'the first chunk written with its lines');
    await batches.tick();
    expect(writes(chunk0)).to.equal(2);
    clock += config.continuity.ttl / 2 + 1;
    await batches.tick();
    expect(writes(chunk0)).to.equal(3);
    const index = saved.find((id) => id.startsWith('batches/list-'))!;
    const before = writes(index);
    // It ends a while later: what was written before then is written again.
    clock += 5_000;
    await batches.cancel(call(), made.id);
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
    await until(() => writes(index) === before + 1, 'the list written again');
    expect(writes(chunk0)).to.equal(4);
    expect((await results(batches, made.id)).lines).to.have.length(101);
  });

  it("keeps a batch running longer than continuity.ttl in its caller's list (found by the batches probe: it dropped out of the list for good)", async () => {
    // A ttl shorter than a batch's day.
    start('batch_concurrency: 2', 'continuity: { ttl: 1h }');
    let clock = Date.now();
    const saved: string[] = [];
    const continuity = runtime.continuity;
    const watched = new Proxy(continuity, {
      get(target, name) {
        if (name === 'saveResponse') return (record: { id: string }) => { saved.push(record.id); target.saveResponse(record as never); };
        const value = (target as never)[name] as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const view = { ...runtime, continuity: watched } as Runtime;
    const batches = new Batches(() => view, noBudgets, { endpoints: (path) => table.batchEndpoint(path), now: () => clock });
    open.push(batches);
    chat.handler = () => ({ fault: { stall: 'before_headers' } });
    const older = await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }) as Json;
    const list = saved.find((id) => id.startsWith('batches/list-'))!;
    const writes = () => saved.filter((id) => id === list).length;
    const listed = async () => ((await batches.list(call(), new URLSearchParams())) as Json).data.map((b: Json) => b.id);
    // The list, like any record, lasts continuity.ttl from its last write: a running batch writes it again past half of that.
    await batches.tick();
    expect(writes()).to.equal(1);
    clock += config.continuity.ttl / 2 + 1;
    await batches.tick();
    expect(writes()).to.equal(2);
    // Gone all the same (the store dropped it): written again with the batch back in it.
    const responses = storedResponses(runtime.continuity, 'alice');
    await responses.delete(list);
    expect(await listed()).to.deep.equal([]);
    clock += config.continuity.ttl / 2 + 1;
    await batches.tick();
    expect(await listed()).to.deep.equal([older.id]);
    // And at its end, in its place by creation time.
    await responses.delete(list);
    clock += 1_000;
    const newer = await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }) as Json;
    expect(await listed()).to.deep.equal([newer.id]);
    await batches.cancel(call(), older.id);
    await until(async () => (await listed()).length === 2, 'the ended batch listed again');
    expect(await listed()).to.deep.equal([newer.id, older.id]);
  });

  it('keeps results 100 requests to a record, all lines in order; a delete removes every record', async () => {
    start('batch_concurrency: 8');
    chat.handler = (r) => ({ text: textOf(r.body) });
    const batches = make();
    const made = await batches.create({ ...call(), body: { requests: requests(250) }, key: undefined, headers: {} }) as Json;
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
    const out = await results(batches, made.id);
    expect(out.lines).to.have.length(250);
    expect(out.lines.map((l) => l.custom_id)).to.deep.equal(requests(250).map((r) => r.custom_id));
    expect(out.lines.every((l) => l.result.message.content[0].text === l.custom_id)).to.equal(true);
    const store = storedResponses(runtime.continuity, 'alice');
    for (const k of [0, 1, 2]) expect((await store.load(`${made.id}/results-${k}`)).echo?.lip_batch_chunk).to.have.property('lines');
    await batches.delete(call(), made.id);
    for (const id of [made.id, `${made.id}/results-0`, `${made.id}/results-1`, `${made.id}/results-2`]) {
      expect(await refusal(store.load(id))).to.include({ code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND' });
    }
    expect(await refusal(batches.retrieve(call(), made.id))).to.include({ code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', status: 404 });
  });

  it('writes results to a real socket with backpressure, leaving no listener behind per stalled write', async () => {
    start('batch_concurrency: 16');
    chat.handler = (r) => ({ text: `${textOf(r.body)} ${'x'.repeat(200)}` });
    const batches = make();
    const made = await batches.create({ ...call(), body: { requests: requests(1_500) }, key: undefined, headers: {} }) as Json;
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
    // A 1 KiB buffer: every chunk's write (some 40 KB) waits for a drain.
    const listeners: { before: number; after: number; stalls: number } = { before: 0, after: 0, stalls: 0 };
    const server = createServer({ highWaterMark: 1_024 }, (_req, res) => {
      listeners.before = res.listenerCount('close') + res.listenerCount('drain');
      res.on('drain', () => { listeners.stalls++; });
      void batches.results(call(), made.id, res).then(() => {
        listeners.after = res.listenerCount('close') + res.listenerCount('drain') - 1;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const body = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).text();
      expect(body.split('\n').filter((l) => l !== '')).to.have.length(1_500);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(listeners.stalls).to.be.at.least(10);
    expect(listeners.after).to.equal(listeners.before);
  });

  it('a request that does not decode, streams, or fails upstream is an errored result in the protocol error envelope', async () => {
    chat.handler = (r) => (textOf(r.body) === 'boom' ? { status: 400, error: { message: 'the upstream refused it', type: 'invalid_request_error' } } : { text: 'ok' });
    const batches = make();
    const made = await batches.create({
      ...call(), key: undefined, headers: {},
      body: { requests: [
        { custom_id: 'good', params: params('hi') },
        { custom_id: 'no-max', params: { model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'x' }] } },
        { custom_id: 'streams', params: params('x', { stream: true }) },
        { custom_id: 'bad-temp', params: params('x', { temperature: 7 }) },
        { custom_id: 'upstream', params: params('boom') },
      ] },
    }) as Json;
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
    const lines = Object.fromEntries((await results(batches, made.id)).lines.map((l) => [l.custom_id, l.result]));
    expect(lines.good.type).to.equal('succeeded');
    expect(lines['no-max']).to.deep.equal({ type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: is required' } } });
    expect(lines.streams.error.error).to.deep.equal({ type: 'invalid_request_error', message: 'stream: a request of a batch cannot stream' });
    expect(lines['bad-temp'].error.error.type).to.equal('invalid_request_error');
    expect(lines['bad-temp'].error.error.message).to.match(/^temperature: /);
    expect(lines.upstream.type).to.equal('errored');
    expect(lines.upstream.error.error.type).to.equal('invalid_request_error');
    expect(lines.upstream.error.error.message).to.include('the upstream refused it');
    expect((await batches.retrieve(call(), made.id) as Json).request_counts).to.deep.equal({ processing: 0, succeeded: 1, errored: 4, canceled: 0, expired: 0 });
    // Only the two that decoded went upstream.
    expect(chat.requests.map((r) => textOf(r.body)).sort()).to.deep.equal(['boom', 'hi']);
  });

  it("checks the caller's budget at the create and before each request, and charges each request's tokens", async () => {
    // Usage is read off each request when something accounts for it (a key with a budget here).
    start('batch_concurrency: 1', 'auth: { api_keys: [{ id: k1, key: "x-0123456789abcdefghij", budget: { max_tokens: 20, period: day } }] }');
    chat.handler = () => ({ text: 'ok', usage: { input: 5, output: 5 } });
    // The caller's key as the config has it (each request reads it there again).
    const key = runtime.config.auth.api_keys[0]!;
    let spent = 0;
    const charged: number[] = [];
    const budgets: BatchBudgets = {
      check: (k) => {
        if (k !== undefined && spent >= 20) throw new LipError('LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED', 'spent', { retryAfter: 60 });
        return undefined;
      },
      charge: (k, _cost, tokens) => {
        if (k === key) {
          spent += tokens;
          charged.push(tokens);
        }
      },
    };
    const batches = make({}, budgets);
    const made = await batches.create({ ...call(), body: { requests: requests(4) }, key, headers: {} }) as Json;
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
    const lines = (await results(batches, made.id)).lines.map((l) => l.result);
    expect(lines.map((l) => l.type)).to.deep.equal(['succeeded', 'succeeded', 'errored', 'errored']);
    expect(lines[2].error.error).to.deep.equal({ type: 'rate_limit_error', message: 'spent' });
    expect(charged.filter((t) => t > 0)).to.deep.equal([10, 10]);
    expect(chat.requests).to.have.length(2);
    expect(await refusal(batches.create({ ...call(), body: { requests: requests(1) }, key, headers: {} }))).to.include({ code: 'LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED' });
  });

  it("is scoped to the caller: another principal's batch is a 404 everywhere, and lists only their own", async () => {
    chat.handler = () => ({ text: 'ok' });
    const batches = make();
    const made = await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }) as Json;
    await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'the batch ended');
    for (const work of [batches.retrieve(call('bob'), made.id), batches.cancel(call('bob'), made.id), batches.delete(call('bob'), made.id), results(batches, made.id, call('bob'))]) {
      const err = await refusal(work);
      expect(err).to.include({ code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', status: 404, message: `no batch with id ${made.id}` });
    }
    expect(await batches.list(call('bob'), new URLSearchParams())).to.deep.equal({ data: [], has_more: false, first_id: null, last_id: null });
    expect(((await batches.list(call(), new URLSearchParams())) as Json).data.map((b: Json) => b.id)).to.deep.equal([made.id]);
    // An id of another shape is not looked up.
    expect(await refusal(batches.retrieve(call(), 'resp_123'))).to.include({ status: 404 });
  });

  it('lists newest first, in pages before and after an id', async () => {
    chat.handler = () => ({ text: 'ok' });
    const batches = make();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.unshift(((await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} })) as Json).id);
    const page = async (query: string) => {
      const p = await batches.list(call(), new URLSearchParams(query)) as Json;
      return { ids: p.data.map((b: Json) => b.id), has_more: p.has_more, first_id: p.first_id, last_id: p.last_id };
    };
    expect(await page('limit=2')).to.deep.equal({ ids: ids.slice(0, 2), has_more: true, first_id: ids[0], last_id: ids[1] });
    expect(await page(`limit=2&after_id=${ids[1]}`)).to.deep.equal({ ids: ids.slice(2, 4), has_more: true, first_id: ids[2], last_id: ids[3] });
    expect(await page(`limit=2&after_id=${ids[3]}`)).to.deep.equal({ ids: ids.slice(4), has_more: false, first_id: ids[4], last_id: ids[4] });
    expect(await page(`limit=2&before_id=${ids[4]}`)).to.deep.equal({ ids: ids.slice(2, 4), has_more: true, first_id: ids[2], last_id: ids[3] });
    expect(await page(`limit=2&before_id=${ids[2]}`)).to.deep.equal({ ids: ids.slice(0, 2), has_more: false, first_id: ids[0], last_id: ids[1] });
    expect(await page('')).to.include({ has_more: false });
    expect((await page('')).ids).to.deep.equal(ids);
    // A deleted batch leaves the list.
    await until(async () => (await batches.retrieve(call(), ids[2]!) as Json).processing_status === 'ended', 'the batch ended');
    await batches.delete(call(), ids[2]!);
    expect((await page('')).ids).to.deep.equal([ids[0], ids[1], ids[3], ids[4]]);
  });

  it("pages each protocol's batches alone when a caller has batches of several (found by the batches probe: a before_id page was empty with has_more true)", async () => {
    chat.handler = () => ({ text: 'ok' });
    const batches = make();
    const openai: BatchCall = { frontend: openaiChatFrontend, routes: openAIBatchRoutes, principal: 'alice', origin: 'http://lip.test' };
    const file = ((await new BatchFileStore(openAIFileRoutes, storedResponses(runtime.continuity, 'alice')).upload(
      { fields: { purpose: 'batch' }, file: { name: 'in.jsonl', bytes: new TextEncoder().encode(JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/chat/completions', body: { model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'x' }] } })) } },
      1 << 20, 86_400_000)) as Json).id as string;
    const anthropic: string[] = [];
    const others: string[] = [];
    const made = async (as: BatchCall) => ((await batches.create({ ...as, body: as === openai ? { input_file_id: file, endpoint: '/v1/chat/completions', completion_window: '24h' } : { requests: requests(1) }, key: undefined, headers: {} })) as Json).id as string;
    // Newest first: two of Anthropic's, five of OpenAI's, three of Anthropic's.
    for (let i = 0; i < 3; i++) anthropic.unshift(await made(call()));
    for (let i = 0; i < 5; i++) others.unshift(await made(openai));
    for (let i = 0; i < 2; i++) anthropic.unshift(await made(call()));
    const page = async (query: string, as = call()) => {
      const p = await batches.list(as, new URLSearchParams(query)) as Json;
      return { ids: p.data.map((b: Json) => b.id), more: p.has_more };
    };
    const pages = async () => {
      expect(await page(`limit=2&before_id=${anthropic[2]}`)).to.deep.equal({ ids: anthropic.slice(0, 2), more: false });
      expect(await page(`limit=2&before_id=${anthropic[3]}`)).to.deep.equal({ ids: anthropic.slice(1, 3), more: true });
      expect(await page('limit=2')).to.deep.equal({ ids: anthropic.slice(0, 2), more: true });
      expect(await page(`limit=2&after_id=${anthropic[1]}`)).to.deep.equal({ ids: anthropic.slice(2, 4), more: true });
      expect(await page(`limit=2&after_id=${anthropic[3]}`)).to.deep.equal({ ids: anthropic.slice(4), more: false });
      expect(await page('limit=5', openai)).to.deep.equal({ ids: others, more: false });
      expect(await page(`limit=2&after=${others[2]}`, openai)).to.deep.equal({ ids: others.slice(3), more: false });
    };
    await pages();
    // A list written before its entries named their protocol pages the same (each entry's record says it).
    const responses = storedResponses(runtime.continuity, 'alice');
    const listId = derivedId('batches/list-', 'alice', 32);
    const entries = (await responses.load(listId)).echo?.lip_batches as Json[];
    expect(entries.map((e) => e.frontend)).to.deep.equal([...anthropic.slice(0, 2).map(() => 'anthropic'), ...others.map(() => 'openai-chat'), ...anthropic.slice(2).map(() => 'anthropic')]);
    responses.save({ id: listId, input: [], output: collectEvents([]), echo: { lip_batches: entries.map(({ id, createdAt }) => ({ id, createdAt })) }, durable: true });
    await pages();
  });

  it("forgets in its caller's list the batches the store no longer keeps (a day and continuity.ttl after they were made)", async () => {
    chat.handler = () => ({ text: 'ok' });
    let clock = Date.now();
    const batches = make({ maxBatches: 2, now: () => clock });
    for (let i = 0; i < 2; i++) {
      const made = await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }) as Json;
      await until(async () => (await batches.retrieve(call(), made.id) as Json).processing_status === 'ended', 'ended');
    }
    expect(await refusal(batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }))).to.include({ code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED' });
    clock += BATCH_EXPIRY_MS + config.continuity.ttl - 1;
    expect(await refusal(batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }))).to.include({ code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED' });
    clock += 1;
    const later = await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }) as Json;
    expect(((await batches.list(call(), new URLSearchParams())) as Json).data.map((b: Json) => b.id)).to.deep.equal([later.id]);
  });

  it('refuses a delete or the results of a batch that has not ended, and enforces its limits', async () => {
    chat.handler = () => ({ fault: { stall: 'before_headers' } });
    const batches = make({ maxBatches: 2 });
    const made = await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }) as Json;
    expect(await refusal(batches.delete(call(), made.id))).to.include({ code: 'LIP_ERR_REQUEST_INVALID', message: `batch ${made.id} is still processing; cancel it and delete it once it has ended` });
    expect(await refusal(results(batches, made.id))).to.include({ code: 'LIP_ERR_REQUEST_INVALID', message: `batch ${made.id} has not ended (processing_status: in_progress); its results are there once it has` });
    await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} });
    const full = await refusal(batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }));
    expect(full).to.include({ code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', param: 'requests' });
    expect(full.message).to.match(/^this caller keeps 2 batches already/);
    // Another caller has a list of their own.
    await batches.create({ ...call('bob'), body: { requests: requests(1) }, key: undefined, headers: {} });
    config.server.max_batch_requests = 2;
    expect(await refusal(batches.create({ ...call('carol'), body: { requests: requests(3) }, key: undefined, headers: {} }))).to.include({
      code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', message: 'requests: a batch holds at most 2 requests on this server (server.max_batch_requests); this one has 3',
    });
    config.server.max_running_batches = 3;
    expect(await refusal(batches.create({ ...call('carol'), body: { requests: requests(1) }, key: undefined, headers: {} }))).to.include({ code: 'LIP_ERR_SERVER_OVERLOADED', retryAfter: 5 });
    config.server.batch_concurrency = 0;
    expect(await refusal(batches.create({ ...call('carol'), body: { requests: requests(1) }, key: undefined, headers: {} }))).to.include({
      code: 'LIP_ERR_REQUEST_UNSUPPORTED', message: 'batches are switched off on this server (server.batch_concurrency: 0)',
    });
  });

  it('a principal runs at most its share of the batches, even creating them side by side; an ended one gives its slot back', async () => {
    chat.handler = (r) => (textOf(r.body).startsWith('stall') ? { fault: { stall: 'before_headers' } } : { text: 'ok' });
    config.server.max_running_batches = 3;
    config.server.max_running_batches_per_principal = 2;
    config.server.batch_concurrency = 4; // room beside bob's two stalled requests
    const spent: BatchBudgets = { check: (key) => { if (key?.id === 'spent') throw new LipError('LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED', 'spent'); }, charge: () => undefined };
    const batches = make({}, spent);
    const made = await Promise.allSettled(Array.from({ length: 5 }, () => batches.create({ ...call('bob'), body: { requests: requests(1, 'stall') }, key: undefined, headers: {} })));
    expect(made.map((m) => m.status).filter((s) => s === 'fulfilled')).to.have.length(2);
    for (const m of made) {
      if (m.status === 'rejected') expect(m.reason).to.include({ code: 'LIP_ERR_SERVER_OVERLOADED', retryAfter: 5, message: 'this principal has 2 batches running, its limit (server.max_running_batches_per_principal: 2); retry once one has ended' });
    }
    // A create refused after it took its slot (the key's budget) gives it back.
    expect(await refusal(batches.create({ ...call('alice'), body: { requests: requests(1) }, key: { id: 'spent' } as never, headers: {} }))).to.include({ code: 'LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED' });
    const alice = await batches.create({ ...call('alice'), body: { requests: requests(1) }, key: undefined, headers: {} }) as Json;
    expect(await refusal(batches.create({ ...call('carol'), body: { requests: requests(1) }, key: undefined, headers: {} }))).to.include({
      code: 'LIP_ERR_SERVER_OVERLOADED', message: 'the server is at its limit of 3 batches running at once (server.max_running_batches)',
    });
    await until(async () => (await batches.retrieve(call('alice'), alice.id) as Json).processing_status === 'ended' && batches.running === 2, 'alice\'s batch ended');
    await batches.create({ ...call('carol'), body: { requests: requests(1, 'stall') }, key: undefined, headers: {} });
    expect(batches.running).to.equal(3);
  });
  describe("OpenAI's Batch API (an input file, results as two files)", () => {
    const openai = (principal = 'alice'): BatchCall => ({ frontend: openaiChatFrontend, routes: openAIBatchRoutes, principal, origin: 'http://lip.test' });
    const lineOf = (customId: string, url: string, body: Json) => JSON.stringify({ custom_id: customId, method: 'POST', url, body });
    const uploaded = async (text: string) => ((await new BatchFileStore(openAIFileRoutes, storedResponses(runtime.continuity, 'alice')).upload(
      { fields: { purpose: 'batch' }, file: { name: 'in.jsonl', bytes: new TextEncoder().encode(text) } }, 1 << 20, 86_400_000)) as Json).id as string;
    /** A results file's lines, as `GET /v1/files/{id}/content` writes them. */
    const fileLines = async (batches: Batches, id: string) => {
      const content = await new BatchFileStore(openAIFileRoutes, storedResponses(runtime.continuity, 'alice')).content(id);
      if (!('batch' in content)) throw new Error('not a results file');
      let text = '';
      const res = { destroyed: false, write(t: string) { text += t; return true; }, end() { /* done */ }, once() { return this; } };
      await batches.writeFile(openAIBatchRoutes, storedResponses(runtime.continuity, 'alice'), content.batch.id, content.batch.kind, res as unknown as ServerResponse);
      return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json);
    };

    it('runs chat completions and embeddings from an input file: the succeeded lines in the output file, the others in the error file, usage summed', async () => {
      chat.handler = (r) => (r.route === 'embeddings' ? {} : { text: `echo ${textOf(r.body)}`, usage: { input: 4, output: 3 } });
      const batches = make();
      const chatFile = await uploaded([
        lineOf('c1', '/v1/chat/completions', { model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'one' }] }),
        lineOf('c2', '/v1/chat/completions', { model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'two' }], temperature: 9 }),
        lineOf('c3', '/v1/chat/completions', { model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'three' }], stream: true }),
      ].join('\n'));
      const made = await batches.create({ ...openai(), body: { input_file_id: chatFile, endpoint: '/v1/chat/completions', completion_window: '24h' }, key: undefined, headers: {} }) as Json;
      expect(made).to.include({ object: 'batch', status: 'in_progress', output_file_id: null, error_file_id: null });
      await until(async () => (await batches.retrieve(openai(), made.id) as Json).status === 'completed', 'the batch completed');
      const done = await batches.retrieve(openai(), made.id) as Json;
      expect(done.request_counts).to.deep.equal({ total: 3, completed: 1, failed: 2 });
      expect(done.usage).to.include({ input_tokens: 4, output_tokens: 3, total_tokens: 7 });
      const output = await fileLines(batches, done.output_file_id);
      expect(output.map((l) => [l.custom_id, l.response.status_code, l.response.body.choices[0].message.content])).to.deep.equal([['c1', 200, 'echo one']]);
      const errors = await fileLines(batches, done.error_file_id);
      expect(errors.map((l) => [l.custom_id, l.response.status_code, l.response.body.error.param])).to.deep.equal([['c2', 400, 'temperature'], ['c3', 400, 'stream']]);
      expect(await new BatchFileStore(openAIFileRoutes, storedResponses(runtime.continuity, 'alice')).retrieve(done.output_file_id)).to.include({
        purpose: 'batch_output', filename: `${made.id}_output.jsonl`, bytes: output.reduce((n, l) => n + Buffer.byteLength(JSON.stringify(l)) + 1, 0),
      });

      const embedFile = await uploaded(lineOf('e1', '/v1/embeddings', { model: 'oc:text-embedding-3-small', input: ['a', 'b'] }));
      const embeds = await batches.create({ ...openai(), body: { input_file_id: embedFile, endpoint: '/v1/embeddings', completion_window: '24h' }, key: undefined, headers: {} }) as Json;
      await until(async () => (await batches.retrieve(openai(), embeds.id) as Json).status === 'completed', 'the embeddings batch completed');
      const embedded = await batches.retrieve(openai(), embeds.id) as Json;
      expect(embedded.error_file_id).to.equal(null);
      const [line] = await fileLines(batches, embedded.output_file_id);
      expect(line!.response.body.object).to.equal('list');
      expect(line!.response.body.data.map((d: Json) => d.index)).to.deep.equal([0, 1]);
      expect(chat.requests.filter((r) => r.route === 'embeddings').map((r) => r.body.input)).to.deep.equal([['a', 'b']]);
    });

    it('charges each embeddings request of a batch to the caller\'s budget, and errors the rest once it is spent', async () => {
      start('batch_concurrency: 1', 'auth: { api_keys: [{ id: k1, key: "x-0123456789abcdefghij", budget: { max_tokens: 12, period: day } }] }');
      chat.handler = () => ({ usage: { input: 6, output: 0 } });
      const key = runtime.config.auth.api_keys[0]!;
      let spent = 0;
      const budgets: BatchBudgets = {
        check: () => {
          if (spent >= 12) throw new LipError('LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED', 'spent', { retryAfter: 60 });
          return undefined;
        },
        charge: (k, _cost, tokens) => {
          if (k === key) spent += tokens;
        },
      };
      const batches = make({}, budgets);
      const file = await uploaded([1, 2, 3].map((i) => lineOf(`e${i}`, '/v1/embeddings', { model: 'oc:text-embedding-3-small', input: `t${i}` })).join('\n'));
      const made = await batches.create({ ...openai(), body: { input_file_id: file, endpoint: '/v1/embeddings', completion_window: '24h' }, key, headers: {} }) as Json;
      await until(async () => (await batches.retrieve(openai(), made.id) as Json).status === 'completed', 'completed');
      const done = await batches.retrieve(openai(), made.id) as Json;
      expect(done.request_counts).to.deep.equal({ total: 3, completed: 2, failed: 1 });
      expect(spent).to.equal(12);
      const [error] = await fileLines(batches, done.error_file_id);
      expect(error).to.deep.include({ custom_id: 'e3' });
      expect(error!.response.status_code).to.equal(429);
      expect(chat.requests.filter((r) => r.route === 'embeddings')).to.have.length(2);
      // Each request that ran is an attempt row of the caller under its key (what /admin/usage and a restart's budgets read).
      const usage = await runtime.continuity.usage({ groupBy: 'key' });
      expect(usage.groups.find((g) => g.group === 'k1')).to.include({ attempts: 2, input_tokens: 12, output_tokens: 0 });
    });

    it('stores a Responses answer (store, the default) so that a later request, in a batch or not, continues it', async () => {
      chat.handler = (r) => ({ text: `seen ${r.body.messages.length}` });
      const batches = make();
      const run = async (body: Json) => {
        const file = await uploaded(lineOf('r', '/v1/responses', body));
        const made = await batches.create({ ...openai(), body: { input_file_id: file, endpoint: '/v1/responses', completion_window: '24h' }, key: undefined, headers: {} }) as Json;
        await until(async () => (await batches.retrieve(openai(), made.id) as Json).status === 'completed', 'completed');
        const done = await batches.retrieve(openai(), made.id) as Json;
        return (await fileLines(batches, done.output_file_id))[0]!.response.body as Json;
      };
      const first = await run({ model: 'oc:gpt-4o', input: 'first' });
      expect(first).to.include({ object: 'response', status: 'completed' });
      expect(first.id).to.match(/^resp_/);
      const stored = await runtime.continuity.loadResponse(first.id, 'alice');
      expect(stored.output.text).to.equal('seen 1');
      const second = await run({ model: 'oc:gpt-4o', input: 'second', previous_response_id: first.id });
      expect(second.output[0].content[0].text).to.equal('seen 3');
      expect(chat.requests.at(-1)!.body.messages.map((m: Json) => m.content)).to.deep.equal(['first', 'seen 1', 'second']);
      // Not stored when the request says so.
      const unstored = await run({ model: 'oc:gpt-4o', input: 'x', store: false });
      expect(await refusal(runtime.continuity.loadResponse(unstored.id, 'alice'))).to.include({ status: 404 });
    });

    it('a stored Responses answer retrieved later is its output line: created_at and completed_at too, with a clock that moves a second at every read', async () => {
      chat.handler = () => ({ text: 'kept' });
      let clock = Date.now();
      const batches = make({ now: () => (clock += 1000) });
      const file = await uploaded(lineOf('r', '/v1/responses', { model: 'oc:gpt-4o', input: 'first' }));
      const made = await batches.create({ ...openai(), body: { input_file_id: file, endpoint: '/v1/responses', completion_window: '24h' }, key: undefined, headers: {} }) as Json;
      await until(async () => (await batches.retrieve(openai(), made.id) as Json).status === 'completed', 'completed');
      const done = await batches.retrieve(openai(), made.id) as Json;
      const line = (await fileLines(batches, done.output_file_id))[0]!.response.body as Json;
      expect(line.completed_at).to.be.above(line.created_at);
      const retrieved = storedResponseObject(await runtime.continuity.loadResponse(line.id, 'alice'), false);
      expect(retrieved).to.deep.equal(line);
    });

    it('makes a batch failed, running nothing, when its input file is not a valid batch', async () => {
      const batches = make();
      const file = await uploaded(`${lineOf('a', '/v1/responses', {})}\n{`);
      const made = await batches.create({ ...openai(), body: { input_file_id: file, endpoint: '/v1/chat/completions', completion_window: '24h' }, key: undefined, headers: {} }) as Json;
      expect(made).to.include({ status: 'failed', output_file_id: null, error_file_id: null });
      expect(made.errors.data.map((e: Json) => [e.code, e.line])).to.deep.equal([['mismatched_endpoint', 1], ['invalid_json_line', 2]]);
      expect(await batches.retrieve(openai(), made.id)).to.deep.equal(made);
      expect(batches.running).to.equal(0);
      expect(chat.requests).to.have.length(0);
    });

    it("cancels: what never ran is a batch_cancelled line of the error file; an Anthropic batch id is not one of OpenAI's", async () => {
      chat.handler = () => ({ fault: { stall: 'before_headers' } });
      const batches = make();
      const file = await uploaded([1, 2, 3].map((i) => lineOf(`r${i}`, '/v1/chat/completions', { model: 'oc:gpt-4o', messages: [{ role: 'user', content: `${i}` }] })).join('\n'));
      const made = await batches.create({ ...openai(), body: { input_file_id: file, endpoint: '/v1/chat/completions', completion_window: '24h' }, key: undefined, headers: {} }) as Json;
      await until(() => chat.requests.length === 2, 'two requests upstream');
      expect(await batches.cancel(openai(), made.id)).to.include({ status: 'cancelling' });
      await until(async () => (await batches.retrieve(openai(), made.id) as Json).status === 'cancelled', 'cancelled');
      await until(() => chat.closes.length === 2, 'the running requests closed');
      const done = await batches.retrieve(openai(), made.id) as Json;
      expect(done.output_file_id).to.equal(null);
      expect((await fileLines(batches, done.error_file_id)).map((l) => [l.custom_id, l.response, l.error.code])).to.deep.equal([['r1', null, 'batch_cancelled'], ['r2', null, 'batch_cancelled'], ['r3', null, 'batch_cancelled']]);
      const anthropicBatch = await batches.create({ ...call(), body: { requests: requests(1) }, key: undefined, headers: {} }) as Json;
      expect(await refusal(batches.retrieve(openai(), anthropicBatch.id))).to.include({ status: 404, param: 'batch_id' });
      expect(await refusal(batches.retrieve(call(), made.id))).to.include({ status: 404, param: 'message_batch_id' });
      expect(((await batches.list(openai(), new URLSearchParams())) as Json).data.map((b: Json) => b.id)).to.deep.equal([made.id]);
    });

    it('a create turns the event loop while it reads a large input file (found by the batches probe: /healthz waited 2 s on a 10,000-line create)', async () => {
      chat.handler = () => ({ text: 'ok' });
      const batches = make();
      const file = await uploaded(Array.from({ length: 5_000 }, (_, i) => lineOf(`r${i}`, '/v1/chat/completions', { model: 'oc:gpt-4o', messages: [{ role: 'user', content: `r${i}` }] })).join('\n'));
      let turns = 0;
      let creating = true;
      const turn = () => {
        turns++;
        if (creating) setImmediate(turn);
      };
      setImmediate(turn);
      const made = await batches.create({ ...openai(), body: { input_file_id: file, endpoint: '/v1/chat/completions', completion_window: '24h' }, key: undefined, headers: {} }) as Json;
      creating = false;
      expect(made.request_counts).to.deep.equal({ total: 5_000, completed: 0, failed: 0 });
      expect(turns).to.be.at.least(4);
      await batches.cancel(openai(), made.id);
    });

    it('a cancel or a shutdown writes nothing for the requests that never started: their lines are made up when read; one that was running says it was stopped, not that it never ran', async () => {
      // Found by the batches probe: a line made and written for each request never started held the event loop for seconds (100,000 of them).
      start('batch_concurrency: 1');
      chat.handler = () => ({ fault: { stall: 'before_headers' } });
      const saved: string[] = [];
      const continuity = runtime.continuity;
      const watched = new Proxy(continuity, {
        get(target, name) {
          if (name === 'saveResponse') return (record: { id: string }) => { saved.push(record.id); target.saveResponse(record as never); };
          const value = (target as never)[name] as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const view = { ...runtime, continuity: watched } as Runtime;
      const batches = new Batches(() => view, noBudgets, { endpoints: (path) => table.batchEndpoint(path) });
      open.push(batches);
      const lines = (n: number) => Array.from({ length: n }, (_, i) => lineOf(`r${i}`, '/v1/chat/completions', { model: 'oc:gpt-4o', messages: [{ role: 'user', content: `r${i}` }] })).join('\n');
      const file = await uploaded(lines(250));
      const made = await batches.create({ ...openai(), body: { input_file_id: file, endpoint: '/v1/chat/completions', completion_window: '24h' }, key: undefined, headers: {} }) as Json;
      await until(() => chat.requests.length === 1, 'the first request upstream');
      await batches.cancel(openai(), made.id);
      await until(async () => (await batches.retrieve(openai(), made.id) as Json).status === 'cancelled', 'cancelled');
      // The chunk of the one that ran is written with its line; those of requests none of which started only at the create (their custom ids).
      const writes = (id: string) => [0, 1, 2].map((k) => saved.filter((s) => s === `${id}/results-${k}`).length);
      expect(writes(made.id)).to.deep.equal([2, 1, 1]);
      const first = (await storedResponses(runtime.continuity, 'alice').load(`${made.id}/results-0`)).echo?.lip_batch_chunk as Json;
      expect(first.lines).to.have.length(1);
      const done = await batches.retrieve(openai(), made.id) as Json;
      expect(done.request_counts).to.deep.equal({ total: 250, completed: 0, failed: 0 });
      const errors = await fileLines(batches, done.error_file_id);
      expect(errors.map((l) => l.custom_id)).to.deep.equal(Array.from({ length: 250 }, (_, i) => `r${i}`));
      expect(errors[0]!.error).to.deep.equal({ code: 'batch_cancelled', message: 'This request was running when the batch was cancelled: it was stopped before it was answered.' });
      expect(new Set(errors.slice(1).map((l) => JSON.stringify(l.error)))).to.deep.equal(new Set([JSON.stringify({ code: 'batch_cancelled', message: 'This request was not run: the batch was cancelled.' })]));
      // The file's size is that of its lines as they are made up.
      const store = new BatchFileStore(openAIFileRoutes, storedResponses(runtime.continuity, 'alice'));
      expect(await store.retrieve(done.error_file_id)).to.include({ bytes: errors.reduce((n, l) => n + Buffer.byteLength(JSON.stringify(l)) + 1, 0) });

      // A shutdown: what ran expired while it ran, the rest never ran.
      const other = await batches.create({ ...openai(), body: { input_file_id: await uploaded(lines(150)), endpoint: '/v1/chat/completions', completion_window: '24h' }, key: undefined, headers: {} }) as Json;
      await until(() => chat.requests.length === 2, 'its first request upstream');
      await batches.shutdown();
      expect(writes(other.id)).to.deep.equal([2, 1, 0]);
      const reader = make();
      const expired = await reader.retrieve(openai(), other.id) as Json;
      expect(expired).to.include({ status: 'expired' });
      const ended = await fileLines(reader, expired.error_file_id);
      expect(ended.map((l) => l.error.message)).to.deep.equal([
        'This request was running when the batch ended (its completion window, or the instance running it, ended): it was stopped before it was answered.',
        ...Array.from({ length: 149 }, () => 'This request could not be run before the batch ended (its completion window, or the instance running it, ended first).'),
      ]);
    });

    it('a batch whose instance went away gets its results as files from the first instance that sees it ended', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lip-orphaned-batch-'));
      try {
        // Two processes on one SQLite file: the runner's, and the one that outlives it.
        const sqlite = `continuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }`;
        start('batch_concurrency: 4', sqlite);
        const gone = runtime;
        chat.handler = (r) => (Number(textOf(r.body).slice(1)) >= 140 ? { fault: { stall: 'before_headers' } } : { text: `echo ${textOf(r.body)}` });
        const runner = new Batches(() => gone, noBudgets, { endpoints: (path) => table.batchEndpoint(path) });
        open.push(runner);
        const file = await uploaded(Array.from({ length: 150 }, (_, i) => lineOf(`r${i}`, '/v1/chat/completions', { model: 'oc:gpt-4o', messages: [{ role: 'user', content: `r${i}` }] })).join('\n'));
        const made = await runner.create({ ...openai(), body: { input_file_id: file, endpoint: '/v1/chat/completions', completion_window: '24h' }, key: undefined, headers: {} }) as Json;
        const written = async () => ((await storedResponses(gone.continuity, 'alice').load(made.id)).echo?.lip_batch as Json).counts.succeeded;
        await until(async () => (await written()) === 140, 'the runner wrote its record with the 140 that answered', 15_000);
        // Its process stops: nothing it does from here on reaches the store.
        await gone.continuity.close();

        start('batch_concurrency: 4', sqlite);
        const later = make({ now: () => Date.now() + BATCH_ORPHANED_MS + 1_000 });
        const ended = await later.retrieve(openai(), made.id) as Json;
        expect(ended).to.include({ status: 'expired' });
        // Counted from the lines stored: 40 answered in a chunk that had not ended, so have none.
        expect(ended.request_counts).to.deep.equal({ total: 150, completed: 100, failed: 0 });
        expect(ended.output_file_id).to.be.a('string');
        expect(ended.error_file_id).to.be.a('string');
        // The first 100 answered as one record; the rest had not all ended, so they expired.
        const output = await fileLines(later, ended.output_file_id);
        expect(output.map((l) => l.custom_id)).to.deep.equal(Array.from({ length: 100 }, (_, i) => `r${i}`));
        expect(output[0]!.response.body.choices[0].message.content).to.equal('echo r0');
        const errors = await fileLines(later, ended.error_file_id);
        expect(errors.map((l) => [l.custom_id, l.error.code])).to.deep.equal(Array.from({ length: 50 }, (_, i) => [`r${100 + i}`, 'batch_expired']));
        const files = new BatchFileStore(openAIFileRoutes, storedResponses(runtime.continuity, 'alice'));
        expect(await files.retrieve(ended.output_file_id)).to.include({ bytes: output.reduce((n, l) => n + Buffer.byteLength(JSON.stringify(l)) + 1, 0) });
        // Made once: seen again, here or by another instance, the same files.
        const again = make({ now: () => Date.now() + BATCH_ORPHANED_MS + 1_000 });
        expect(await again.retrieve(openai(), made.id)).to.include({ output_file_id: ended.output_file_id, error_file_id: ended.error_file_id });
        expect(((await again.list(openai(), new URLSearchParams())) as Json).data.map((b: Json) => b.output_file_id)).to.deep.equal([ended.output_file_id]);
      } finally {
        for (const b of open.splice(0)) await b.shutdown();
        for (const r of runtimes.splice(0)) await r.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
