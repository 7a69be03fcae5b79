import { expect } from 'chai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { wsTurn as turn } from '../helpers/clients/websocket-turns.js';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;


/** The Response of a turn that completed. */
const completed = (events: Json[]): Json => {
  const end = events.at(-1)!;
  expect(end.type, JSON.stringify(end)).to.equal('response.completed');
  return end.response;
};
/** What the upstream was sent, as [role, text] pairs. */
const sentTexts = (body: Json) => body.messages.map((m: Json) => [m.role, m.content]);

/**
 * A regression (a probe's find): a turn continuing the connection's latest response was sent
 * with that response's own input and output only, without `previous_response_id`. When the
 * latest response had itself continued a stored one, the conversation before it was lost (the
 * model never saw it), and a stored turn was kept with no `previous_response_id` and the items
 * of the turn before as its own input, so continuing it later over HTTP lost that history too.
 */
describe('e2e: a WebSocket turn continuing the connection\'s latest response keeps the stored history before it', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' } });
  const sockets: ResponsesWS[] = [];
  const connect = (headers: Record<string, string> = {}) => {
    const ws = new ResponsesWS(up.openai(), { headers });
    sockets.push(ws);
    return ws;
  };
  afterEach(() => { for (const ws of sockets.splice(0)) if (ws.socket.readyState <= 1) ws.close(); });

  it('a stored latest response continues through the store: the model gets the whole conversation, the turn is stored as over HTTP', async () => {
    const emu = up.emulators.oc!;
    emu.enqueue({ text: 'Hello Zed.' });
    const { data: r0, response } = await up.openai().responses.create({ model: 'oc:gpt-5.4', input: 'MY NAME IS ZED' }).withResponse();
    const token = response.headers.get('x-lip-resume-token')!;
    expect(token).to.be.a('string');
    const ws = connect({ 'x-lip-resume-token': token });
    emu.enqueue({ text: 'one' });
    const t1 = completed(await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'turn 1', previous_response_id: r0.id }));
    emu.enqueue({ text: 'two' });
    const t2 = completed(await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'turn 2', previous_response_id: t1.id }));
    expect(t2.previous_response_id).to.equal(t1.id);
    const whole = [['user', 'MY NAME IS ZED'], ['assistant', 'Hello Zed.'], ['user', 'turn 1'], ['assistant', 'one'], ['user', 'turn 2']];
    expect(sentTexts(emu.requests[2]!.body)).to.deep.equal(whole);
    // Stored as over HTTP: it continues t1, and its input items are its own.
    const stored = await up.openai().responses.retrieve(t2.id);
    expect(stored.previous_response_id).to.equal(t1.id);
    const items = await up.openai().responses.inputItems.list(t2.id);
    expect(items.data.map((i: Json) => [i.role, i.content.map((c: Json) => c.text).join('')])).to.deep.equal([['user', 'turn 2']]);
    // ... so continuing it over HTTP has the whole conversation too.
    emu.enqueue({ text: 'Zed.' });
    await up.openai().responses.create({ model: 'oc:gpt-5.4', input: 'my name?', previous_response_id: t2.id });
    expect(sentTexts(emu.requests[3]!.body)).to.deep.equal([...whole, ['assistant', 'two'], ['user', 'my name?']]);
  });

  it('a latest response not stored that continued a stored one is sent after that one\'s conversation', async () => {
    const emu = up.emulators.oc!;
    emu.enqueue({ text: 'Hello Zed.' });
    const r0 = await up.openai().responses.create({ model: 'oc:gpt-5.4', input: 'MY NAME IS ZED' });
    const ws = connect();
    emu.enqueue({ text: 'one' });
    const t1 = completed(await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', store: false, input: 'turn 1', previous_response_id: r0.id }));
    emu.enqueue({ text: 'two' });
    const events = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', store: false, input: 'turn 2', previous_response_id: t1.id });
    expect(completed(events).previous_response_id).to.equal(t1.id);
    expect(events[0]!.response.previous_response_id).to.equal(t1.id);
    expect(sentTexts(emu.requests[2]!.body)).to.deep.equal([['user', 'MY NAME IS ZED'], ['assistant', 'Hello Zed.'], ['user', 'turn 1'], ['assistant', 'one'], ['user', 'turn 2']]);
  });
});

/**
 * A regression (a probe's find): a turn naming both a `conversation` and the connection's latest
 * response not stored was sent without the id (its items inlined), so it was accepted and the
 * unstored items were written into the conversation; over HTTP the pair is a 400.
 */
describe('e2e: a WebSocket turn continuing the connection\'s latest response names no conversation', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' } });
  const sockets: ResponsesWS[] = [];
  afterEach(() => { for (const ws of sockets.splice(0)) if (ws.socket.readyState <= 1) ws.close(); });

  it('it is refused with HTTP\'s 400, and the conversation is left as it was', async () => {
    const conversation = await up.openai().conversations.create({ items: [{ type: 'message', role: 'user', content: 'conversation first' }] });
    const ws = new ResponsesWS(up.openai());
    sockets.push(ws);
    const local = completed(await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'not stored', store: false }));
    const refused = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'in the conversation', conversation: conversation.id, previous_response_id: local.id });
    let http: Json | undefined;
    await up.openai().responses.create({ model: 'oc:gpt-5.4', input: 'x', conversation: conversation.id, previous_response_id: 'resp_any' }).catch((err) => { http = { status: err.status, error: err.error }; });
    expect(refused).to.have.length(1);
    expect(refused[0]).to.deep.equal({ type: 'error', ...http });
    expect(up.emulators.oc!.requests).to.have.length(1);
    const items = await up.openai().conversations.items.list(conversation.id);
    expect(items.data.map((i: Json) => i.content[0].text)).to.deep.equal(['conversation first']);
  });
});
