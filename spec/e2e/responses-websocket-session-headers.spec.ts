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
