import { expect } from 'chai';
import OpenAI from 'openai';
import type { LipEvent } from '../../../../lib/canonical/index.js';
import type { Observation } from '../../../../lib/extensions/observation.js';
import { secretsGuard, type SecretsGuardConfig } from '../../../../lib/extensions/features/secrets-guard/index.js';
import { chatUpstreamConfig } from '../../../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';
import { memoryLogger } from '../../fixtures.js';

const KEY = 'sk-proj-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6';
const SECRET = 'diagnostics-secret-0123';

/** The key in pieces across deltas, and what the pieces join to. */
const PIECES = ['my key is sk-pr', 'oj-A1b2C3d4', 'E5f6G7h8I9', 'j0K1l2M3n4', 'O5p6 and', ' more'];

/**
 * secrets-guard's traffic redactor on streamed events: a credential split across deltas (output
 * text, reasoning, tool-call arguments) is redacted whole in what observers and recordings keep,
 * never kept in pieces; the client still gets the stream as it was.
 */
describe('e2e: secrets-guard redacts credentials split across stream deltas in the observation copies', function () {
  this.timeout(30_000);

  describe('the redactor', () => {
    const defaults: SecretsGuardConfig = { mode: 'log', builtin: true, patterns: [], replacement: '[REDACTED:{id}]', block_message: 'no', order: 50 };
    const redactorOf = () => secretsGuard.create(defaults, { featureId: 'secrets-guard', logger: memoryLogger(), state: undefined as never }).trafficRedactors![0]!;
    const base = { requestId: 'r1', leg: 'proxy_to_client' as const, at: 1, attemptSeq: 1 };
    const run = (events: LipEvent[], redactor = redactorOf()) => events.flatMap((event) => {
      const answer = redactor.redact({ ...base, kind: 'event', event } as Observation);
      return (Array.isArray(answer) ? answer : [answer]) as Observation[];
    }).map((o) => (o as Observation & { kind: 'event' }).event);

    it('output text: the pieces of a key go out redacted whole, the text in order, before the next other event', () => {
      const out = run([...PIECES.map((text): LipEvent => ({ type: 'text_delta', text })), { type: 'response_finished', reason: 'stop' } as LipEvent]);
      expect(JSON.stringify(out)).to.not.contain('A1b2C3d4').and.not.contain('sk-pr');
      expect(out.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('')).to.equal('my key is [REDACTED:openai_api_key] and more');
      expect(out.at(-1)!.type).to.equal('response_finished');
    });

    it('tool-call arguments and reasoning are redacted across deltas too; each delta keeps its place, the replacement where the match starts', () => {
      const redactor = redactorOf();
      const out = run([
        { type: 'reasoning_delta', text: 'the user gave AKIAIOSF' }, { type: 'reasoning_delta', text: 'ODNN7EXAMPLE as key' },
        { type: 'tool_call_started', id: 't1', name: 'login' }, ...['{"token":"sk-pr', 'oj-A1b2C3d4E5f6G7h8I9', 'j0K1l2M3n4O5p6"}'].map((args): LipEvent => ({ type: 'tool_call_delta', id: 't1', args })),
        { type: 'tool_call_finished', id: 't1' },
      ], redactor);
      expect(JSON.stringify(out)).to.not.contain('AKIAIOSF').and.not.contain('A1b2C3d4').and.not.contain('ODNN7').and.not.contain('j0K1');
      // A delta wholly inside a match carries nothing and is dropped.
      expect(out).to.deep.equal([
        { type: 'reasoning_delta', text: 'the user gave [REDACTED:aws_access_key_id]' }, { type: 'reasoning_delta', text: ' as key' },
        { type: 'tool_call_started', id: 't1', name: 'login' },
        { type: 'tool_call_delta', id: 't1', args: '{"token":"[REDACTED:openai_api_key]' }, { type: 'tool_call_delta', id: 't1', args: '"}' },
        { type: 'tool_call_finished', id: 't1' },
      ]);
    });

    it('each held delta goes out at its own time, and what a stream holds goes out when it ends (an attempt cut after a key)', () => {
      const redactor = redactorOf();
      const observed = ['my id is ', 'AKIAIOSF', 'ODNN7EXAMPLE', ' and'].flatMap((text, i) => {
        const answer = redactor.redact({ ...base, at: 100 + i, kind: 'event', event: { type: 'text_delta', text } } as Observation);
        return (Array.isArray(answer) ? answer : [answer]) as Observation[];
      });
      expect(observed).to.deep.equal([]);
      const ended = redactor.end!({ requestId: 'r1', leg: 'proxy_to_client', attemptSeq: 1 }) as (Observation & { kind: 'event' })[];
      expect(ended.map((o) => [o.at, o.event])).to.deep.equal([
        [100, { type: 'text_delta', text: 'my id is ' }], [101, { type: 'text_delta', text: '[REDACTED:aws_access_key_id]' }], [103, { type: 'text_delta', text: ' and' }],
      ]);
      expect(redactor.end!({ requestId: 'r1', leg: 'proxy_to_client', attemptSeq: 1 })).to.deep.equal([]);
    });

    it('a private key longer than what a stream may hold stays redacted to its END line, the text after it kept', () => {
      const line = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n';
      const body = line.repeat(2_000); // about 104 KiB: past the 64 KiB a stream holds
      const text = `key: -----BEGIN PRIVATE KEY-----\n${body}-----END PRIVATE KEY----- after`;
      const deltas = Array.from({ length: Math.ceil(text.length / 1_000) }, (_, i): LipEvent => ({ type: 'text_delta', text: text.slice(i * 1_000, (i + 1) * 1_000) }));
      const out = run([...deltas, { type: 'response_finished', reason: 'stop' } as LipEvent]);
      expect(JSON.stringify(out)).to.not.contain('MIIEvQ').and.not.contain('BAQC7');
      expect(out.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('')).to.equal('key: [REDACTED:private_key] after');
      expect(out.at(-1)!.type).to.equal('response_finished');
    });

    it('a private key cut by another event (a usage report mid-stream) stays redacted in the deltas that continue it', () => {
      const out = run([
        { type: 'text_delta', text: 'key: -----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBgkq' }, { type: 'usage', usage: { outputTokens: 3 } } as LipEvent,
        { type: 'text_delta', text: 'hkiG9w0BAQEFAASC\n-----END RSA PRI' }, { type: 'text_delta', text: 'VATE KEY-----\nthanks' }, { type: 'response_finished', reason: 'stop' } as LipEvent,
      ]);
      expect(JSON.stringify(out)).to.not.contain('MIIEvQ').and.not.contain('hkiG9w0');
      expect(out.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('')).to.equal('key: [REDACTED:private_key]\nthanks');
    });

    it('text without a credential comes out whole and unchanged', () => {
      const out = run([{ type: 'text_delta', text: 'hello ' }, { type: 'text_delta', text: 'world' }, { type: 'response_finished', reason: 'stop' } as LipEvent]);
      expect(out.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('')).to.equal('hello world');
    });
  });

  describe('through a server with ref-traffic-transcript', () => {
    let upstream: Emulator;
    let lip: RunningLip;
    before(async () => {
      upstream = await startOpenAIChatEmulator();
      upstream.handler = () => ({ text: PIECES });
      lip = await startLip(chatUpstreamConfig(upstream.url, [
        `diagnostics: { enabled: true, shared_secret: "${SECRET}" }`,
        'features:',
        '  - { id: secrets-guard, config: { mode: log } }',
        '  - { id: ref-traffic-transcript }',
      ]));
    });
    after(async () => {
      await lip?.close();
      await upstream?.close();
    });

    it('the transcript holds the streamed key nowhere, not even in pieces; the client got it as streamed', async () => {
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'up:chat', stream: true, messages: [{ role: 'user', content: 'echo' }] }).withResponse();
      let text = '';
      for await (const chunk of stream.data) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).to.equal(PIECES.join(''));
      const aLegId = stream.response.headers.get('x-lip-a-leg-id')!;
      type Row = { leg: string; kind: string; body: { type?: string; text?: string } };
      let rows: Row[] = [];
      // Observations are handed over off the hot path: wait for the client leg's last event.
      for (let i = 0; i < 500 && !rows.some((r) => r.leg === 'proxy_to_client' && r.body?.type === 'response_finished'); i++) {
        const res = await fetch(`${lip.url}/admin/transcript?a_leg_id=${encodeURIComponent(aLegId)}`, { headers: { 'x-lip-diagnostics-secret': SECRET } });
        if (res.status === 200) rows = ((await res.json()) as { rows: Row[] }).rows;
        if (!rows.some((r) => r.leg === 'proxy_to_client' && r.body?.type === 'response_finished')) await new Promise((r) => setImmediate(r));
      }
      const all = JSON.stringify(rows);
      for (const piece of ['A1b2C3d4', 'E5f6G7h8I9', 'j0K1l2M3n4', 'sk-pr']) expect(all).to.not.contain(piece);
      for (const leg of ['backend_to_proxy', 'proxy_to_client']) {
        const joined = rows.filter((r) => r.leg === leg && r.body?.type === 'text_delta').map((r) => r.body.text).join('');
        expect(joined, leg).to.equal('my key is [REDACTED:openai_api_key] and more');
      }
    });
  });
});
