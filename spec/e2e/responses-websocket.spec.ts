import { expect } from 'chai';
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import type { ResponseCompletedEvent, ResponsesClientEvent } from 'openai/resources/responses/responses';
import { WebSocket } from 'ws';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { wsTurn as turn, wsTurns as collect } from '../helpers/clients/websocket-turns.js';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const completed = (events: Json[]) => events.find((e) => e.type === 'response.completed') as ResponseCompletedEvent | undefined;
const outputText = (events: Json[]) => completed(events)!.response.output.flatMap((i: Json) => (i.type === 'message' ? i.content.map((c: Json) => c.text) : [])).join('');
const open = (ws: ResponsesWS) => new Promise<void>((resolve, reject) => {
  if (ws.socket.readyState === 1) return resolve();
  ws.socket.on('open', () => resolve());
  ws.socket.on('error', reject);
});

/**
 * OpenAI Responses' WebSocket mode (`ResponsesWS` of the official SDK, the transport Codex
 * prefers): turns on one connection run in order as streamed Responses requests through lip's
 * whole pipeline, to any provider; a response not stored continues on its connection.
 */
describe('e2e: the Responses WebSocket mode', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } });
  const sockets: ResponsesWS[] = [];
  const connect = () => {
    const ws = new ResponsesWS(up.openai());
    sockets.push(ws);
    return ws;
  };
  afterEach(() => { for (const ws of sockets.splice(0)) if (ws.socket.readyState <= 1) ws.close(); });

  it('a turn streams the events of a streamed request, one message each, from any provider', async () => {
    up.emulators.an!.enqueue({ text: ['Hello', ' over', ' a socket.'] });
    const ws = connect();
    const events = await turn(ws, { type: 'response.create', model: 'an:claude-sonnet-4-6', input: 'hi' });
    const types = events.map((e) => e.type);
    expect(types.slice(0, 2)).to.deep.equal(['response.created', 'response.in_progress']);
    expect(types).to.include('response.output_text.delta');
    expect(types.at(-1)).to.equal('response.completed');
    expect(events.map((e) => e.sequence_number)).to.deep.equal(events.map((_, i) => i));
    expect(outputText(events)).to.equal('Hello over a socket.');
    expect(up.emulators.an!.requests).to.have.length(1);
    expect(up.emulators.an!.requests[0]!.body.messages).to.deep.equal([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });

  it('a response not stored continues on its connection: the next turn sends only its new input', async () => {
    up.emulators.oc!.enqueue({ text: 'Hello Ada.' });
    up.emulators.oc!.enqueue({ text: 'Your name is Ada.' });
    const ws = connect();
    const first = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', store: false, input: 'My name is Ada.' });
    const id = completed(first)!.response.id;
    expect((completed(first)!.response as Json).store).to.equal(false);
    const second = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', store: false, previous_response_id: id, input: 'What is my name?' });
    expect(outputText(second)).to.equal('Your name is Ada.');
    expect(completed(second)!.response.previous_response_id).to.equal(id);
    expect(second[0]!.response.previous_response_id).to.equal(id);
    expect(up.emulators.oc!.requests[1]!.body.messages.map((m: Json) => [m.role, m.content])).to.deep.equal([
      ['user', 'My name is Ada.'], ['assistant', 'Hello Ada.'], ['user', 'What is my name?'],
    ]);
    // Only the latest response is kept: the first one, not stored, is gone now.
    const stale = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', store: false, previous_response_id: id, input: 'again' });
    expect(stale).to.have.length(1);
    expect(stale[0]).to.deep.include({ type: 'error', status: 404 });
    expect(stale[0]!.error).to.include({ code: 'previous_response_not_found', param: 'previous_response_id' });
    expect(up.emulators.oc!.requests).to.have.length(2);
    // ... and the connection goes on serving.
    up.emulators.oc!.enqueue({ text: 'Still here.' });
    expect(outputText(await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'ping' }))).to.equal('Still here.');
  });

  it('a stored response continues on another connection, through the store', async () => {
    up.emulators.an!.enqueue({ text: 'Noted: blue.' });
    up.emulators.an!.enqueue({ text: 'Blue.' });
    const a = connect();
    const first = await turn(a, { type: 'response.create', model: 'an:claude-sonnet-4-6', input: 'My colour is blue.' });
    a.close();
    const b = connect();
    const second = await turn(b, { type: 'response.create', model: 'an:claude-sonnet-4-6', previous_response_id: completed(first)!.response.id, input: 'My colour?' });
    expect(outputText(second)).to.equal('Blue.');
    expect(up.emulators.an!.requests[1]!.body.messages).to.have.length(3);
  });

  it('turns sent at once run one after the other, in order', async () => {
    up.emulators.oc!.enqueue({ text: ['one', ' two'], dripMs: 30 });
    up.emulators.oc!.enqueue({ text: 'three' });
    const ws = connect();
    await open(ws);
    const events = await collect(ws, () => {
      ws.send({ type: 'response.create', model: 'oc:gpt-5.4', input: 'first' });
      ws.send({ type: 'response.create', model: 'oc:gpt-5.4', input: 'second' });
    }, 2);
    const ends = events.flatMap((e, i) => (e.type === 'response.completed' ? [i] : []));
    const starts = events.flatMap((e, i) => (e.type === 'response.created' ? [i] : []));
    expect(starts).to.have.length(2);
    expect(ends[0]).to.be.below(starts[1]!);
    expect(up.emulators.oc!.requests.map((r) => r.body.messages.at(-1).content)).to.deep.equal(['first', 'second']);
  });

  it('generate: false prepares a turn without a model call, and the next turn continues from it', async () => {
    const ws = connect();
    const warm = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', store: false, generate: false, input: [{ type: 'message', role: 'developer', content: 'Answer in French.' }] } as ResponsesClientEvent);
    expect(warm.map((e) => e.type)).to.deep.equal(['response.created', 'response.completed']);
    expect(completed(warm)!.response.output).to.deep.equal([]);
    expect(up.emulators.oc!.requests).to.have.length(0);
    up.emulators.oc!.enqueue({ text: 'Bonjour.' });
    const next = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', store: false, previous_response_id: completed(warm)!.response.id, input: 'Hello.' });
    expect(outputText(next)).to.equal('Bonjour.');
    expect(up.emulators.oc!.requests[0]!.body.messages.map((m: Json) => [m.role, m.content])).to.deep.equal([['system', 'Answer in French.'], ['user', 'Hello.']]);
  });

  it('a message that is not a turn is answered with an error message; the connection stays open', async () => {
    const ws = connect();
    await open(ws);
    const json = await collect(ws, () => ws.socket.send('{"type": "response.create", '));
    expect(json[0]).to.deep.include({ type: 'error', status: 400 });
    expect(json[0]!.error.code).to.equal('LIP_ERR_REQUEST_INVALID_JSON');
    const type = await collect(ws, () => ws.socket.send(JSON.stringify({ type: 'response.cancel' })));
    expect(type[0]!.error).to.include({ param: 'type', code: 'LIP_ERR_REQUEST_INVALID' });
    const invalid = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'x', temperature: 'hot' } as never);
    expect(invalid[0]).to.deep.include({ type: 'error', status: 400 });
    expect(invalid[0]!.error.param).to.equal('temperature');
    up.emulators.oc!.enqueue({ text: 'fine' });
    expect(outputText(await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'x' }))).to.equal('fine');
  });

  it('a client that closes its connection mid-turn aborts the upstream request', async () => {
    const emu = up.emulators.an!;
    emu.enqueue({ text: Array.from({ length: 40 }, (_, i) => `tok${i} `), dripMs: 25 });
    const closed = emu.nextClose();
    const ws = connect();
    await new Promise<void>((resolve) => {
      ws.on('response.output_text.delta', () => { ws.close(); resolve(); });
      ws.send({ type: 'response.create', model: 'an:claude-sonnet-4-6', input: 'count' });
    });
    // Recorded only for a close before the upstream's answer ended: the client's close cut it short.
    await closed;
    expect(emu.requests).to.have.length(1);
  });

  it('each turn is a request of its own upstream (its own request id)', async () => {
    up.emulators.oc!.enqueue({ text: 'a' });
    up.emulators.oc!.enqueue({ text: 'b' });
    const ws = connect();
    await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: '1' });
    await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: '2' });
    const ids = up.emulators.oc!.requests.map((r) => r.headers['x-request-id']);
    expect(ids).to.have.length(2);
    expect(ids[0]).to.be.a('string').and.not.equal(ids[1]);
  });
});

describe('e2e: the Responses WebSocket mode, admission and limits', function () {
  this.timeout(20_000);
  const KEY = 'ws-key-0123456789abcdef';
  let lip: RunningLip;
  let expiring: RunningLip;
  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub }', `auth:\n  api_keys:\n    - { id: k, key: ${KEY} }`));
    expiring = await startLip(testConfig('  - { id: stub, kind: localstub }\n  - { id: slow, kind: localstub, first_token_delay: 400ms }', 'server: { host: 127.0.0.1, port: 0, websocket_max_age: 200ms }'));
  });
  after(async () => {
    await lip.close();
    await expiring.close();
  });

  /** The status of a refused handshake (the body is the protocol's envelope). */
  const refusal = (url: string, headers: Record<string, string>) => new Promise<{ status: number; body: string; server?: string }>((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ...(typeof res.headers.server === 'string' ? { server: res.headers.server } : {}) }));
    });
    ws.on('open', () => reject(new Error('the handshake was accepted')));
    ws.on('error', () => undefined);
  });

  it('the handshake is admitted as an HTTP request is: a missing or wrong key is a 401 in the protocol\'s envelope', async () => {
    const url = `${lip.url.replace('http', 'ws')}/v1/responses`;
    const missing = await refusal(url, {});
    expect(missing.status).to.equal(401);
    expect(JSON.parse(missing.body).error.code).to.equal('LIP_ERR_AUTH_MISSING_KEY');
    expect(missing.server).to.equal('lip');
    expect((await refusal(url, { authorization: 'Bearer wrong-key-0123456789' })).status).to.equal(401);
    expect((await refusal(`${lip.url.replace('http', 'ws')}/v1/chat/completions`, { authorization: `Bearer ${KEY}` })).status).to.equal(404);
    const client = new ResponsesWS(new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: KEY, maxRetries: 0 }));
    const events = await turn(client, { type: 'response.create', model: 'stub:m', input: 'hi' });
    expect(events.at(-1)!.type).to.equal('response.completed');
    client.close();
  });

  it('a keyless single-user lip refuses a browser page of another site (403)', async () => {
    const answer = await refusal(`${expiring.url.replace('http', 'ws')}/v1/responses`, { origin: 'https://evil.example' });
    expect(answer.status).to.equal(403);
    expect(JSON.parse(answer.body).error.code).to.equal('LIP_ERR_AUTH_FOREIGN_ORIGIN');
  });

  it('a connection older than server.websocket_max_age takes no new turn: websocket_connection_limit_reached, then it closes', async () => {
    const client = new ResponsesWS(new OpenAI({ baseURL: `${expiring.url}/v1`, apiKey: 'k', maxRetries: 0 }));
    const first = await turn(client, { type: 'response.create', model: 'stub:m', input: 'hi' });
    expect(first.at(-1)!.type).to.equal('response.completed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closed = new Promise<number>((resolve) => client.socket.on('close', (code: number) => resolve(code)));
    const late = await turn(client, { type: 'response.create', model: 'stub:m', input: 'hi' });
    expect(late[0]).to.deep.include({ type: 'error', status: 400 });
    expect(late[0]!.error.code).to.equal('websocket_connection_limit_reached');
    expect(await closed).to.equal(1000);
  });

  it('the turns waiting when a connection passes server.websocket_max_age are each answered with its error, then it closes', async () => {
    const client = new ResponsesWS(new OpenAI({ baseURL: `${expiring.url}/v1`, apiKey: 'k', maxRetries: 0 }));
    await open(client);
    const closed = new Promise<number>((resolve) => client.socket.on('close', (code: number) => resolve(code)));
    // The first turn outlives the age limit; the three behind it wait for it.
    const events = await collect(client, () => {
      client.send({ type: 'response.create', model: 'slow:m', input: 'long' });
      for (const input of ['a', 'b', 'c']) client.send({ type: 'response.create', model: 'stub:m', input });
    }, 4);
    const ends = events.filter((e) => e.type === 'response.completed' || e.type === 'error');
    expect(ends.map((e) => e.type === 'error' ? e.error.code : e.type)).to.deep.equal(['response.completed', ...Array(3).fill('websocket_connection_limit_reached')]);
    expect(await closed).to.equal(1000);
  });

  it('each turn is a request of lip\'s own: an access-log line of POST /v1/responses each, in one session', async () => {
    const own = await startLip(testConfig('  - { id: stub, kind: localstub }', 'logging: { access_log: true }'));
    try {
      const client = new ResponsesWS(new OpenAI({ baseURL: `${own.url}/v1`, apiKey: 'k', maxRetries: 0 }));
      const one = completed(await turn(client, { type: 'response.create', model: 'stub:m', input: 'one' }))!.response.id;
      const two = completed(await turn(client, { type: 'response.create', model: 'stub:m', input: 'two' }))!.response.id;
      client.close();
      const lines = own.logs.filter((l) => l.message === 'request' && l.route === '/v1/responses');
      expect(lines.map((l) => [l.method, l.status, l.frontend, l.stream])).to.deep.equal([['POST', 200, 'openai-responses', true], ['POST', 200, 'openai-responses', true]]);
      expect(lines[0]!.request_id).to.not.equal(lines[1]!.request_id);
      // The second turn continued nothing, yet it is in the first one's session: the connection carries it.
      const continuity = own.server.runtimeNow.continuity;
      const [a, b] = await Promise.all([continuity.loadResponse(one, 'local'), continuity.loadResponse(two, 'local')]);
      expect(a.sessionId).to.be.a('string').and.equal(b.sessionId);
    } finally {
      await own.close();
    }
  });

  it('shutdown closes an idle connection with 1001', async () => {
    const own = await startLip(testConfig('  - { id: stub, kind: localstub }'));
    const client = new ResponsesWS(new OpenAI({ baseURL: `${own.url}/v1`, apiKey: 'k', maxRetries: 0 }));
    await turn(client, { type: 'response.create', model: 'stub:m', input: 'hi' });
    const closed = new Promise<number>((resolve) => client.socket.on('close', (code: number) => resolve(code)));
    await own.close();
    expect(await closed).to.equal(1001);
  });
});
