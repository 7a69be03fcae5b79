import { expect } from 'chai';
import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LipEvent } from '../../lib/canonical/index.js';
import type { Observation, TrafficLeg } from '../../lib/extensions/index.js';
import { Recorder } from '../../lib/replay/recorder.js';
import { testConfig } from '../helpers/config.js';
import { readRecords } from './recording-helpers.js';

const req = { method: 'POST', url: '/v1/chat/completions?key=abc', headers: { authorization: 'Bearer sk-1', 'x-trace': 'SECRET-9 here' } } as unknown as IncomingMessage;
const res = { statusCode: 200, getHeaders: () => ({ 'content-type': 'application/json' }) } as unknown as ServerResponse;

/** The recorder driven directly: observations as the plane delivers them while a redactor is registered, attempt ends through `attemptEnded` (the plane's path then). */
describe('Recorder', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-recorder-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const make = (maxEvents?: number) => {
    const path = join(dir, 'r.jsonl');
    const config = testConfig('  - { id: up, kind: localstub }', `recording: { enabled: true, path: "${path}", redact_substrings: ["SECRET-9"] }`);
    const recorder = new Recorder(config, maxEvents === undefined ? {} : { maxEvents });
    const observe = (batch: Observation[]) => recorder.observe(batch);
    return { path, recorder, observe };
  };
  const obs = (leg: TrafficLeg, at: number, event: LipEvent, attempt?: { seq: number; key: string }): Observation => ({
    leg, at, kind: 'event', event, requestId: 'r1', aLegId: undefined, bLegId: undefined, attemptSeq: attempt?.seq, candidateKey: attempt?.key,
    backendId: attempt ? 'up' : undefined, frontendId: 'openai-chat', principal: 'local', sessionId: undefined,
  });

  it('assembles attempts in order with offsets from the start, ends from attemptEnded, and redacts', async () => {
    const { path, recorder, observe } = make();
    const t0 = Date.now();
    const a1 = { seq: 1, key: 'up:a' };
    const a2 = { seq: 2, key: 'up:b' };
    observe([
      { ...obs('proxy_to_backend', t0 + 5, { type: 'message_started' }, a1), kind: 'call', call: { model: 'a', messages: [], stream: false } as never } as Observation,
      obs('backend_to_proxy', t0 + 6, { type: 'response_started' }, a1),
      obs('backend_to_proxy', t0 + 40, { type: 'response_started' }, a2),
      obs('backend_to_proxy', t0 + 50, { type: 'text_delta', text: 'has SECRET-9 in it' }, a2),
      obs('proxy_to_client', t0 + 51, { type: 'text_delta', text: 'has SECRET-9 in it' }),
    ]);
    recorder.attemptEnded({ requestId: 'r1', candidateKey: 'up:a' }, 'failure', { code: 'LIP_ERR_UPSTREAM_RESET', retryable: true });
    recorder.finish(req, res, { requestId: 'r1', startedAt: performance.now() - (Date.now() - t0) }, {
      frontend: 'openai-chat', principal: 'local', meta: { candidateKey: 'up:b', selector: 'up:a|up:b', journal: [{ key: 'up:a', outcome: 'failed', status: 502, code: 'LIP_ERR_UPSTREAM_RESET', reason: 'reset' }, { key: 'up:b', outcome: 'served' }] },
    });
    await recorder.close();
    const [record] = readRecords(path);
    expect(record!.attempts.map((a) => [a.seq, a.candidate_key, a.outcome, a.reason, a.http_status, a.retryable, a.role])).to.deep.equal([
      [1, 'up:a', 'failure', 'LIP_ERR_UPSTREAM_RESET', 502, true, 'tried'], [2, 'up:b', 'success', null, null, null, 'served'],
    ]);
    expect(record!.attempts[0]!.started_ms).to.be.within(4, 6);
    expect(record!.attempts[1]!.first_output_ms).to.be.within(49, 51);
    expect(record!.request.path).to.equal('/v1/chat/completions?key=[REDACTED]');
    expect(record!.request.headers).to.deep.equal({ authorization: '[REDACTED]', 'x-trace': '[REDACTED] here' });
    expect(JSON.stringify(record)).not.to.contain('SECRET-9');
  });

  it('keeps at most maxEvents events of an exchange and marks the record truncated', async () => {
    const { path, recorder, observe } = make(3);
    const t0 = Date.now();
    observe(Array.from({ length: 10 }, (_, i) => obs('proxy_to_client', t0 + i, { type: 'text_delta', text: `${i}` })));
    recorder.finish(req, res, { requestId: 'r1', startedAt: performance.now() }, { frontend: 'openai-chat', principal: 'local' });
    await recorder.close();
    const [record] = readRecords(path);
    expect(record!.client.events).to.have.length(3);
    expect(record!.truncated).to.equal(true);
  });
  it('writes the record as JSON.stringify would, in the format\'s field order, the client\'s events shared only when they are the served attempt\'s', async () => {
    const { path, recorder, observe } = make();
    const t0 = Date.now();
    const a1 = { seq: 1, key: 'up:a' };
    const shared = [{ type: 'response_started' }, { type: 'text_delta', text: 'same "quoted" é' }] as LipEvent[];
    const exchange = (requestId: string, client: [number, LipEvent][]) => {
      observe([
        ...shared.map((e, i) => ({ ...obs('backend_to_proxy', t0 + 10 + i, e, a1), requestId })),
        ...client.map(([at, e]) => ({ ...obs('proxy_to_client', at, e), requestId })),
      ]);
      recorder.finish(req, res, { requestId, startedAt: performance.now() - (Date.now() - t0) }, {
        frontend: 'openai-chat', principal: 'local', meta: { candidateKey: 'up:a', selector: 'up:a', journal: [{ key: 'up:a', outcome: 'served' }] },
      });
    };
    exchange('same', shared.map((e, i) => [t0 + 10 + i, e]));
    exchange('later', shared.map((e, i) => [t0 + 10 + i + 5, e]));
    // The opening event held until the first output, the rest at the attempt's times.
    exchange('held', [[t0 + 11, shared[0]!], [t0 + 11, shared[1]!]]);
    exchange('changed', [[t0 + 10, shared[0]!], [t0 + 11, { type: 'text_delta', text: 'changed' }]]);
    exchange('fewer', [[t0 + 10, shared[0]!]]);
    await recorder.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    const records = readRecords(path);
    for (const line of lines) expect(line).to.equal(JSON.stringify(JSON.parse(line)));
    for (const r of records) {
      expect(Object.keys(r)).to.deep.equal(['v', 'id', 'request_id', 'at', 'frontend', 'principal', 'key_id', 'session_id', 'a_leg_id', 'config_digest', 'request', 'selector', 'selector_source', 'served', 'skipped', 'attempts', 'auxiliary', 'client']);
      expect(Object.keys(r.attempts[0]!)).to.deep.equal(['seq', 'b_leg_id', 'candidate_key', 'backend_id', 'role', 'started_ms', 'first_output_ms', 'finished_ms', 'outcome', 'reason', 'message', 'http_status', 'retryable', 'call', 'events']);
      expect(Object.keys(r.client)).to.deep.equal(['status', 'headers', 'events', 'error', 'finished_ms']);
      const offsets = r.attempts[0]!.events.map(([at]) => at);
      expect(offsets[1]! - offsets[0]!).to.equal(1);
      expect(r.attempts[0]!.events.map(([, e]) => e)).to.deep.equal(shared);
    }
    const client = (id: string) => records.find((r) => r.request_id === id)!.client.events;
    const attempt = (id: string) => records.find((r) => r.request_id === id)!.attempts[0]!.events;
    expect(client('same')).to.deep.equal(attempt('same'));
    expect(client('later').map(([at, e]) => [at - 5, e])).to.deep.equal(attempt('later'));
    expect(client('held')).to.deep.equal([[attempt('held')[1]![0], shared[0]], attempt('held')[1]]);
    expect(client('changed').map(([, e]) => e)).to.deep.equal([shared[0], { type: 'text_delta', text: 'changed' }]);
    expect(client('fewer').map(([, e]) => e)).to.deep.equal([shared[0]]);
  });

  it('writes legs whose times differ here and there run by run, or each whole past a few runs, always as JSON.stringify would', async () => {
    const { path, recorder, observe } = make();
    const t0 = Date.now();
    const a1 = { seq: 1, key: 'up:a' };
    const events = Array.from({ length: 20 }, (_, i): LipEvent => (i === 0 ? { type: 'response_started' } : { type: 'text_delta', text: `part ${i} "q"` }));
    const exchange = (requestId: string, later: (i: number) => boolean) => {
      observe([
        ...events.map((e, i) => ({ ...obs('backend_to_proxy', t0 + 10 + i, e, a1), requestId })),
        ...events.map((e, i) => ({ ...obs('proxy_to_client', t0 + 10 + i + (later(i) ? 1 : 0), e), requestId })),
      ]);
      recorder.finish(req, res, { requestId, startedAt: performance.now() - (Date.now() - t0) }, {
        frontend: 'openai-chat', principal: 'local', meta: { candidateKey: 'up:a', selector: 'up:a', journal: [{ key: 'up:a', outcome: 'served' }] },
      });
    };
    exchange('runs', (i) => i === 0 || i === 7 || i === 19);
    exchange('scattered', (i) => i % 2 === 1);
    await recorder.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    for (const line of lines) expect(line).to.equal(JSON.stringify(JSON.parse(line)));
    for (const [id, later] of [['runs', (i: number) => i === 0 || i === 7 || i === 19], ['scattered', (i: number) => i % 2 === 1]] as const) {
      const record = readRecords(path).find((r) => r.request_id === id)!;
      expect(record.attempts[0]!.events.map(([, e]) => e)).to.deep.equal(events);
      expect(record.client.events.map(([, e]) => e)).to.deep.equal(events);
      expect(record.client.events.map(([at], i) => at - record.attempts[0]!.events[i]![0])).to.deep.equal(events.map((_, i) => (later(i) ? 1 : 0)));
    }
  });

  it('redacts events shared by both legs at different times once, and both legs carry the redacted text', async () => {
    const { path, recorder, observe } = make();
    const t0 = Date.now();
    const a1 = { seq: 1, key: 'up:a' };
    const events = [{ type: 'response_started' }, { type: 'text_delta', text: 'key sk-abcdefghijklmnop and SECRET-9' }] as LipEvent[];
    observe([
      ...events.map((e, i) => obs('backend_to_proxy', t0 + 10 + i, e, a1)),
      ...events.map((e, i) => obs('proxy_to_client', t0 + 20 + i, e)),
    ]);
    // Held: only the opening event reaches the client later; the secret is in the pairs both legs share.
    observe([
      ...events.map((e, i) => ({ ...obs('backend_to_proxy', t0 + 10 + i, e, a1), requestId: 'r2' })),
      ...events.map((e, i) => ({ ...obs('proxy_to_client', t0 + 11, e), requestId: 'r2' })),
    ]);
    recorder.finish(req, res, { requestId: 'r2', startedAt: performance.now() - (Date.now() - t0) }, {
      frontend: 'openai-chat', principal: 'local', meta: { candidateKey: 'up:a', selector: 'up:a', journal: [{ key: 'up:a', outcome: 'served' }] },
    });
    recorder.finish(req, res, { requestId: 'r1', startedAt: performance.now() - (Date.now() - t0) }, {
      frontend: 'openai-chat', principal: 'local', meta: { candidateKey: 'up:a', selector: 'up:a', journal: [{ key: 'up:a', outcome: 'served' }] },
    });
    await recorder.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).to.have.length(2);
    for (const line of lines) {
      expect(line).to.equal(JSON.stringify(JSON.parse(line)));
      expect(line).to.not.match(/SECRET-9|abcdefghijklmnop/);
    }
    const records = readRecords(path);
    const texts = (leg: readonly (readonly [number, LipEvent])[]) => leg.map(([, e]) => (e as { text?: string }).text).filter(Boolean);
    for (const record of records) {
      expect(texts(record.attempts[0]!.events)).to.deep.equal(['key sk-*** and [REDACTED]']);
      expect(texts(record.client.events)).to.deep.equal(['key sk-*** and [REDACTED]']);
    }
    const [later, held] = [records.find((r) => r.request_id === 'r1')!, records.find((r) => r.request_id === 'r2')!];
    expect(later.client.events.map(([at]) => at - 10)).to.deep.equal(later.attempts[0]!.events.map(([at]) => at));
    expect(held.client.events.map(([at]) => at)).to.deep.equal([1, 1].map((d) => held.attempts[0]!.events[0]![0] + d));
  });

  it('takes an attempt\'s ending from its backend_to_proxy channel, with no lip:attempt listener', async () => {
    const listenedBefore = channel('lip:attempt').hasSubscribers; // another suite's server may still listen
    const { path, recorder } = make();
    const meta = { requestId: 'r1', attemptSeq: 1, candidateKey: 'up:a', backendId: 'up' };
    recorder.open(meta, 'proxy_to_backend')!.emit('call', { model: 'a', messages: [], stream: true });
    const leg = recorder.open(meta, 'backend_to_proxy')!;
    leg.emit('event', { type: 'response_started' });
    expect(channel('lip:attempt').hasSubscribers).to.equal(listenedBefore);
    leg.end!('failure', { code: 'LIP_ERR_UPSTREAM_RESET', retryable: false });
    recorder.finish(req, res, { requestId: 'r1', startedAt: performance.now() }, { frontend: 'openai-chat', principal: 'local' });
    await recorder.close();
    const [record] = readRecords(path);
    expect(record!.attempts.map((a) => [a.candidate_key, a.outcome, a.reason, a.retryable, a.events.length])).to.deep.equal([['up:a', 'failure', 'LIP_ERR_UPSTREAM_RESET', false, 1]]);
    expect(record!.attempts[0]!.finished_ms).to.be.a('number');
  });

  it('says so once per exchange that ends after the recorder closed (a request outliving its runtime), which is not recorded', async () => {
    const path = join(dir, 'r.jsonl');
    const warned: { message: string; meta?: Record<string, unknown> }[] = [];
    const logger = { error: () => undefined, warn: (message: string, meta?: Record<string, unknown>) => void warned.push({ message, ...(meta ? { meta } : {}) }) };
    const config = testConfig('  - { id: up, kind: localstub }', `recording: { enabled: true, path: "${path}" }`);
    const recorder = new Recorder(config, { logger });
    await recorder.close();
    for (const requestId of ['late-1', 'late-2']) recorder.finish(req, res, { requestId, startedAt: performance.now() }, { frontend: 'openai-chat', principal: 'local' });
    // The exchanges that ended in one turn are built two turns later.
    for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(warned).to.deep.equal(['late-1', 'late-2'].map((id) => ({ message: 'recording is closed; this exchange is not recorded', meta: { request_id: id, path } })));
    expect(recorder.writer.dropped).to.equal(2);
  });

  it('decides sample_ratio first: an exchange left out opens no channel and writes nothing', async () => {
    const path = join(dir, 'r.jsonl');
    const config = testConfig('  - { id: up, kind: localstub }', `recording: { enabled: true, path: "${path}", sample_ratio: 0.5 }`);
    const draws = [0.9, 0.1];
    const recorder = new Recorder(config, { rng: () => draws.shift()! });
    const legs = ['client_to_proxy', 'proxy_to_backend', 'backend_to_proxy', 'proxy_to_client'] as const;
    expect(legs.map((leg) => recorder.open({ requestId: 'out', attemptSeq: 1, candidateKey: 'up:a' }, leg))).to.deep.equal([undefined, undefined, undefined, undefined]);
    expect(legs.every((leg) => recorder.open({ requestId: 'in', attemptSeq: 1, candidateKey: 'up:a' }, leg) !== undefined)).to.equal(true);
    for (const requestId of ['out', 'in']) recorder.finish(req, res, { requestId, startedAt: performance.now() }, { frontend: 'openai-chat', principal: 'local' });
    await recorder.close();
    expect(readRecords(path).map((r) => r.request_id)).to.deep.equal(['in']);
    expect(draws).to.deep.equal([]);
  });
});
