import { expect } from 'chai';
import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
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

/** The recorder driven directly: observations as the plane delivers them while a redactor is registered, attempt ends on `lip:attempt`. */
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

  it('assembles attempts in order with offsets from the start, ends from lip:attempt, and redacts', async () => {
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
    channel('lip:attempt').publish({ phase: 'end', requestId: 'r1', candidateKey: 'up:a', backendId: 'up', outcome: 'failure', errorCode: 'LIP_ERR_UPSTREAM_RESET' });
    recorder.finish(req, res, { requestId: 'r1', startedAt: performance.now() - (Date.now() - t0) }, {
      frontend: 'openai-chat', principal: 'local', meta: { candidateKey: 'up:b', selector: 'up:a|up:b', journal: [{ key: 'up:a', outcome: 'failed', status: 502, code: 'LIP_ERR_UPSTREAM_RESET', reason: 'reset' }, { key: 'up:b', outcome: 'served' }] },
    });
    await recorder.close();
    const [record] = readRecords(path);
    expect(record!.attempts.map((a) => [a.seq, a.candidate_key, a.outcome, a.reason, a.http_status, a.role])).to.deep.equal([
      [1, 'up:a', 'failure', 'LIP_ERR_UPSTREAM_RESET', 502, 'tried'], [2, 'up:b', 'success', null, null, 'served'],
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
});
