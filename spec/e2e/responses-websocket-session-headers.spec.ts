import { expect } from 'chai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { wsTurn as turn } from '../helpers/clients/websocket-turns.js';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;


const last = (events: Json[]) => events.at(-1)!;

/**
 * A regression (a probe's find): the connection carried each answer's `X-LIP-Session-Id` into the
 * next turn. A turn that joined a stored response's conversation through `previous_response_id`
 * is answered with its session id but no resume token (none is issued for a conversation
 * resumed that way), so the next turn sent the session id alone, and lip refuses that
 * (`LIP_ERR_SESSION_TOKEN_REQUIRED`): every later turn of the connection was refused.
 */
describe('e2e: a WebSocket turn that continued a stored response leaves the connection usable', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' } });
  const sockets: ResponsesWS[] = [];
  afterEach(() => { for (const ws of sockets.splice(0)) if (ws.socket.readyState <= 1) ws.close(); });

  it('the turns after it run, with or without previous_response_id', async () => {
    const emu = up.emulators.oc!;
    emu.enqueue({ text: 'Noted.' });
    const r0 = await up.openai().responses.create({ model: 'oc:gpt-5.4', input: 'turn 0' });
    const ws = new ResponsesWS(up.openai());
    sockets.push(ws);
    emu.enqueue({ text: 'one' });
    const one = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'turn 1', previous_response_id: r0.id });
    expect(last(one).type).to.equal('response.completed');
    emu.enqueue({ text: 'two' });
    const two = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'turn 2', previous_response_id: last(one).response.id });
    expect(last(two), JSON.stringify(last(two))).to.deep.include({ type: 'response.completed' });
    emu.enqueue({ text: 'three' });
    const three = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'turn 3' });
    expect(last(three), JSON.stringify(last(three))).to.deep.include({ type: 'response.completed' });
    expect(emu.requests.map((r) => r.body.messages.at(-1).content)).to.deep.equal(['turn 0', 'turn 1', 'turn 2', 'turn 3']);
  });
});

/**
 * A regression (a probe's find): the connection carried the first turn's session into every
 * later turn for good, so once that session was gone (evicted by `continuity.max_legs`, expired,
 * a store replaced by a reload) every later turn was refused 403 `LIP_ERR_SESSION_DENIED`, telling
 * the client to stop sending session headers it never sent. Such a turn now runs again without
 * them, as the first of a new session; a session the client's upgrade named is still its own.
 */
describe('e2e: a WebSocket connection whose session is gone goes on in a new one', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' } }, 'continuity: { max_legs: 3 }');
  const sockets: ResponsesWS[] = [];
  afterEach(() => { for (const ws of sockets.splice(0)) if (ws.socket.readyState <= 1) ws.close(); });
  /** Requests of other conversations, enough to evict the connection's. */
  const evict = async () => {
    for (let i = 0; i < 5; i++) await up.openai().responses.create({ model: 'oc:gpt-5.4', input: `other ${i}`, store: false });
  };

  it('the turn after the eviction runs (once upstream), and the turns after it share its new session', async () => {
    const emu = up.emulators.oc!;
    const ws = new ResponsesWS(up.openai());
    sockets.push(ws);
    for (const input of ['one', 'two']) expect(last(await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input, store: false })).type).to.equal('response.completed');
    await evict();
    const three = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'three' });
    expect(three[0]!.type, JSON.stringify(three[0])).to.equal('response.created');
    expect(last(three).type).to.equal('response.completed');
    const four = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'four' });
    expect(last(four).type).to.equal('response.completed');
    expect(emu.requests.map((r) => r.body.messages.at(-1).content).filter((c: string) => !c.startsWith('other'))).to.deep.equal(['one', 'two', 'three', 'four']);
    const continuity = up.lip().server.runtimeNow.continuity;
    const [a, b] = await Promise.all([continuity.loadResponse(last(three).response.id, 'local'), continuity.loadResponse(last(four).response.id, 'local')]);
    expect(a.sessionId).to.be.a('string').and.equal(b.sessionId);
  });

  it('a session the client named on its upgrade is refused as over HTTP', async () => {
    const first = await up.openai().responses.create({ model: 'oc:gpt-5.4', input: 'zero', store: false }).withResponse();
    const session = { 'x-lip-session-id': first.response.headers.get('x-lip-session-id')!, 'x-lip-resume-token': first.response.headers.get('x-lip-resume-token')! };
    expect(session['x-lip-resume-token']).to.be.a('string');
    await evict();
    const ws = new ResponsesWS(up.openai(), { headers: session });
    sockets.push(ws);
    const refused = await turn(ws, { type: 'response.create', model: 'oc:gpt-5.4', input: 'one', store: false });
    expect(refused).to.have.length(1);
    expect(refused[0]).to.deep.include({ type: 'error', status: 403 });
    expect(refused[0]!.error.code).to.equal('LIP_ERR_SESSION_DENIED');
  });
});
