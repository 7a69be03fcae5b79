import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { main } from '../../lib/cli/main.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { testConfig, testConfigYaml } from '../helpers/config.js';
import { startOpenAIChatEmulator } from '../helpers/emulators/index.js';
import { startLip } from '../helpers/lip.js';
import { RecordLines, eventually, useChatRecording } from './recording-helpers.js';

/**
 * Regression: the recorder gathers an exchange's observations by request id, and lip names a
 * request by the client's `X-Request-Id`. Two requests in flight with one id (a client or a
 * gateway in front that sends a fixed id) were recorded as one exchange holding both answers'
 * events and a second one with nothing, which replayed as `route-changed`; a request sent again
 * with the id of one whose record was not yet written joined that record. lip now names such a
 * request `<id>.dup<n>` inside (access log, spans, upstream `X-Request-Id`, the recording),
 * while its answer still echoes the id as the client sent it.
 */
describe('regression: two exchanges with one X-Request-Id are recorded apart', function () {
  this.timeout(30_000);
  const suite = useChatRecording('lip-rec-dup-ids-', 'routing: { default_route: "oc:m" }');
  let lines: RecordLines;
  before(() => { lines = new RecordLines(suite().file); });
  beforeEach(() => suite().oc.reset());

  const chat = (content: string, requestId: string, stream: boolean, signal?: AbortSignal) => fetch(`${suite().lip.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ model: 'oc:m', stream, messages: [{ role: 'user', content }] }), ...(signal ? { signal } : {}),
  });
  const textOf = (record: { client: { events: readonly (readonly [number, unknown])[] } }) =>
    record.client.events.map(([, e]) => (e as { type: string; text?: string }).type === 'text_delta' ? (e as { text: string }).text : '').join('');

  it('a second request while the first still streams: both answers echo the id, two records each with its own body and events, upstream ids apart', async () => {
    suite().oc.enqueue({ text: ['first ', 'answer'], fault: { stall: 'after_output' } }, { text: ['second ', 'answer'] });
    const leave = new AbortController();
    const first = await chat('first question', 'dup-1', true, leave.signal);
    const reader = first.body!.getReader();
    let seen = '';
    while (!seen.includes('first ')) seen += new TextDecoder().decode((await reader.read()).value);
    const second = await chat('second question', 'dup-1', false);
    expect([first.headers.get('x-request-id'), second.headers.get('x-request-id')]).to.deep.equal(['dup-1', 'dup-1']);
    expect(((await second.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).to.equal('second answer');
    leave.abort();
    await reader.cancel().catch(() => undefined);

    const [a] = await eventually(() => lines.of('dup-1'), (r) => r.length > 0);
    const [b] = await eventually(() => lines.of('dup-1.dup2'), (r) => r.length > 0);
    expect(lines.of('dup-1')).to.have.length(1);
    expect((a!.request.body as { messages: { content: string }[] }).messages[0]!.content).to.equal('first question');
    expect((b!.request.body as { messages: { content: string }[] }).messages[0]!.content).to.equal('second question');
    expect([textOf(a!), textOf(b!)]).to.deep.equal(['first ', 'second answer']);
    expect([a!.attempts.length, b!.attempts.length]).to.deep.equal([1, 1]);
    expect(suite().oc.requests.map((r) => r.headers['x-request-id'])).to.deep.equal(['dup-1', 'dup-1.dup2']);
    expect(await replayExchange(b!, suite().config)).to.deep.include({ state: 'same' });

    // `lip replay --id dup-1` takes the id the client sent: both exchanges; the inner name takes only its own.
    const configFile = `${suite().file}.lip.yaml`;
    writeFileSync(configFile, testConfigYaml(`  - { id: oc, kind: openai-chat, base_url: "${suite().oc.url}", api_key: k-0123456789 }`, 'routing: { default_route: "oc:m" }'));
    const picked = async (id: string) => {
      const out: string[] = [];
      expect(await main(['replay', suite().file, '--config', configFile, '--json', '--id', id], { out: (t) => out.push(t), err: () => undefined }, {})).to.be.oneOf([0, 1]);
      return (JSON.parse(out.join('\n')) as { exchanges: { request_id: string }[] }).exchanges.map((e) => e.request_id).sort();
    };
    expect(await picked('dup-1')).to.deep.equal(['dup-1', 'dup-1.dup2']);
    expect(await picked('dup-1.dup2')).to.deep.equal(['dup-1.dup2']);
  });

  it('an id whose exchange the recorder still holds (finished, not yet written) names the next request apart too', async () => {
    const recorder = (suite().lip.server as unknown as { runtime: Runtime }).runtime.recorder!;
    // The moment between an exchange's end and its batch, held open: a capture under the id.
    recorder.open({ requestId: 'held-1' }, 'client_to_proxy');
    try {
      expect(recorder.holds('held-1')).to.equal(true);
      const res = await chat('while held', 'held-1', false);
      expect(res.headers.get('x-request-id')).to.equal('held-1');
      await res.json();
      const [record] = await eventually(() => lines.of('held-1.dup2'), (r) => r.length > 0);
      expect(textOf(record!)).to.equal('Hello from the emulator.');
      expect(lines.of('held-1')).to.deep.equal([]);
    } finally {
      recorder.discard('held-1');
    }
    // Once nothing holds it, the id is the request's own again.
    const again = await chat('free again', 'held-1', false);
    await again.json();
    const [own] = await eventually(() => lines.of('held-1'), (r) => r.length > 0);
    expect((own!.request.body as { messages: { content: string }[] }).messages[0]!.content).to.equal('free again');
    // Nothing stays held once written (the client that left mid-stream included): an id is never named apart for good.
    expect(await eventually(() => recorder.capturing, (n) => n === 0)).to.equal(0);
  });
});

describe('two requests in flight with one X-Request-Id, nothing recording: named apart in the access log and upstream', function () {
  this.timeout(30_000);

  it('the second is <id>.dup2 in its access-log line and its upstream X-Request-Id; once both ended, the id is free again', async () => {
    const oc = await startOpenAIChatEmulator();
    const lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${oc.url}", api_key: k-0123456789 }`, 'routing: { default_route: "oc:m" }\nlogging: { access_log: true }'));
    try {
      oc.enqueue({ text: ['one'], fault: { stall: 'after_output' } });
      const send = (signal?: AbortSignal) => fetch(`${lip.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'same-id' },
        body: JSON.stringify({ model: 'oc:m', stream: true, messages: [{ role: 'user', content: 'q' }] }), ...(signal ? { signal } : {}),
      });
      const leave = new AbortController();
      const first = await send(leave.signal);
      const reader = first.body!.getReader();
      let seen = '';
      while (!seen.includes('one')) seen += new TextDecoder().decode((await reader.read()).value);
      const second = await send();
      expect(second.headers.get('x-request-id')).to.equal('same-id');
      await second.text();
      leave.abort();
      await reader.cancel().catch(() => undefined);
      const ids = () => lip.logs.filter((l) => l.message === 'request').map((l) => l.request_id);
      expect(await eventually(ids, (v) => v.length === 2)).to.have.members(['same-id', 'same-id.dup2']);
      expect(oc.requests.map((r) => r.headers['x-request-id'])).to.deep.equal(['same-id', 'same-id.dup2']);
      await (await send()).text();
      expect(await eventually(ids, (v) => v.length === 3)).to.deep.include.members(['same-id']);
      expect(ids()[2]).to.equal('same-id');
    } finally {
      await lip.close();
      await oc.close();
    }
  });
});

