import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import type { Observation } from '../../lib/extensions/index.js';
import { REDACTION_FAILED } from '../../lib/replay/build-record.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { Recorder } from '../../lib/replay/recorder.js';
import { RECORDING_COUNTS } from '../../lib/replay/recording-writer.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { RecordLines, eventually, readRecords } from './recording-helpers.js';

/**
 * A string holding `-----BEGIN PRIVATE KEY-----` and some 8 million characters after it (a chat
 * message under `server.max_request_body_bytes: 16MiB`, a batch file's line) overflowed the
 * stack of the private-key regex, which kept a backtrack entry per character: the recorder
 * logged "recording could not serialise an exchange" and wrote nothing (a client could leave
 * no trace in the recording), after blocking the event loop for half a second. The key is now
 * found by a linear scan, and the record is written with it masked. Should a redaction ever
 * throw again, the exchange is still written, the part that failed masked whole
 * (`[REDACTION FAILED]`, `"redaction_failed": true`), counted and logged.
 */
describe('regression: recording an exchange with a private key before millions of characters', function () {
  this.timeout(60_000);

  describe('through a real lip', () => {
    let dir: string;
    let lip: RunningLip;
    let lines: RecordLines;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lip-rec-private-key-'));
      const file = join(dir, 'traffic.jsonl');
      lines = new RecordLines(file);
      lip = await startLip(testConfig('  - { id: stub, kind: localstub, text: "ok" }', `recording: { enabled: true, path: "${file}" }
server: { host: 127.0.0.1, port: 0, max_request_body_bytes: 16MiB }
routing: { default_route: "stub:m" }`));
    });
    after(async () => {
      await lip?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes the record with the key masked, to the end of its string', async () => {
      const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      // Over the longest text lip takes (8 MiB characters): refused, and recorded all the same.
      const content = `-----BEGIN PRIVATE KEY-----${'a'.repeat(8_400_000)}`;
      const refused = await openai.chat.completions.create({ model: 'stub:m', messages: [{ role: 'user', content }, { role: 'user', content: 'after' }] }, { headers: { 'x-request-id': 'huge-key' } }).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(OpenAI.BadRequestError);
      const [record] = await eventually(() => lines.of('huge-key'), (r) => r.length > 0, 30_000);
      expect((record!.request.body as { messages: { content: string }[] }).messages.map((m) => m.content)).to.deep.equal(['[PRIVATE KEY]', 'after']);
      expect(record!.redaction_failed).to.equal(undefined);
      expect(lip.logs.filter((l) => String(l.msg ?? l.message).startsWith('recording could not'))).to.deep.equal([]);
    });
  });

  describe('a redaction that throws', () => {
    let dir: string;
    beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-rec-redaction-failed-')); });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const req = { method: 'POST', url: '/v1/chat/completions', headers: { 'content-type': 'application/json' } } as unknown as IncomingMessage;
    const res = { statusCode: 200, getHeaders: () => ({ 'content-type': 'application/json' }) } as unknown as ServerResponse;
    const meta = { aLegId: undefined, bLegId: undefined, frontendId: 'openai-chat', principal: 'local', sessionId: undefined } as const;

    /** A recorder whose credential scrubbing throws on any text holding `poison` (as the regex did on a huge key). */
    const recorderScrubbingBadly = (poison: string) => {
      const path = join(dir, 'r.jsonl');
      const errors: { message: string; meta?: Record<string, unknown> }[] = [];
      const config = testConfig('  - { id: up, kind: localstub }', `recording: { enabled: true, path: "${path}" }`);
      const recorder = new Recorder(config, { logger: { error: (message, m) => errors.push({ message, ...(m ? { meta: m } : {}) }) } });
      const redactor = (recorder as unknown as { redactor: { line(text: string): string } }).redactor;
      const line = redactor.line.bind(redactor);
      redactor.line = (text) => {
        if (text.includes(poison)) throw new RangeError('Maximum call stack size exceeded');
        return line(text);
      };
      return { path, recorder, errors };
    };

    it('writes the exchange with the body masked whole, marks it, counts it and logs it; the other exchanges of the batch are written as they are', async () => {
      const { path, recorder, errors } = recorderScrubbingBadly('POISON');
      const before = RECORDING_COUNTS.redactionFailures;
      const t0 = Date.now();
      for (const [requestId, body] of [['bad', { messages: [{ role: 'user', content: 'POISON password=hunter22' }] }], ['good', { messages: [{ role: 'user', content: 'token=abcdefgh12345' }] }]] as const) {
        recorder.observe([{ ...meta, leg: 'client_to_proxy', at: t0, kind: 'raw_body', body, requestId } as Observation]);
        recorder.observe([{ ...meta, leg: 'proxy_to_client', at: t0 + 1, kind: 'event', event: { type: 'text_delta', text: 'hi' }, requestId } as Observation]);
        recorder.finish({ ...req, headers: { 'x-request-id': requestId } } as unknown as IncomingMessage, res, { requestId, startedAt: performance.now() }, { frontend: 'openai-chat', principal: 'local' });
      }
      await recorder.close();
      const records = readRecords(path);
      expect(records.map((r) => r.request_id)).to.deep.equal(['bad', 'good']);
      const [bad, good] = records;
      expect(bad!.request.body).to.equal(REDACTION_FAILED);
      expect(bad!.redaction_failed).to.equal(true);
      expect(bad!.client.events.map(([, e]) => e)).to.deep.equal([{ type: 'text_delta', text: 'hi' }]);
      expect(good!.request.body).to.deep.equal({ messages: [{ role: 'user', content: 'token=***' }] });
      expect(good!.redaction_failed).to.equal(undefined);
      expect(RECORDING_COUNTS.redactionFailures - before).to.equal(1);
      expect(errors.map((e) => [e.message, e.meta?.request_id, e.meta?.error])).to.deep.equal([
        ['recording could not redact part of an exchange; it is written with that part masked ([REDACTION FAILED], "redaction_failed": true)', 'bad', 'Maximum call stack size exceeded'],
      ]);
      const replayed = await replayExchange(bad!, testConfig('  - { id: up, kind: localstub }'));
      expect([replayed.state, replayed.unrecorded]).to.deep.equal(['unrecorded', ['(a part of the record could not be redacted and was masked)']]);
    });

    it('masks an attempt\'s call (null) or its events ([]) when theirs is the piece that fails', async () => {
      const { path, recorder } = recorderScrubbingBadly('POISON');
      const t0 = Date.now();
      const attempt = { ...meta, requestId: 'r1', attemptSeq: 1, candidateKey: 'up:a', backendId: 'up' };
      recorder.observe([
        { ...attempt, leg: 'proxy_to_backend', at: t0 + 1, kind: 'call', call: { model: 'a', messages: [{ role: 'user', content: [{ type: 'text', text: 'POISON' }] }], stream: true } } as unknown as Observation,
        { ...attempt, leg: 'backend_to_proxy', at: t0 + 2, kind: 'event', event: { type: 'text_delta', text: 'POISON back' } } as Observation,
      ]);
      recorder.attemptEnded({ requestId: 'r1', candidateKey: 'up:a' }, 'success', undefined);
      recorder.finish(req, res, { requestId: 'r1', startedAt: performance.now() }, { frontend: 'openai-chat', principal: 'local', meta: { candidateKey: 'up:a', selector: 'up:a', journal: [{ key: 'up:a', outcome: 'served' }] } });
      await recorder.close();
      const [record] = readRecords(path);
      expect(record!.attempts.map((a) => [a.candidate_key, a.call, a.events])).to.deep.equal([['up:a', null, []]]);
      expect(record!.redaction_failed).to.equal(true);
    });
  });
});
