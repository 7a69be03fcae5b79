import { expect } from 'chai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { wsTurn as turn, wsTurns } from '../helpers/clients/websocket-turns.js';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const completed = (events: Json[]) => events.find((e) => e.type === 'response.completed');

/**
 * Found by the large-payload probe: the Responses WebSocket mode with large payloads and a small
 * `server.max_request_body_bytes`.
 */
describe('e2e: the Responses WebSocket mode with large turns', function () {
  this.timeout(30_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' } }, 'server: { host: 127.0.0.1, port: 0, max_request_body_bytes: 64KiB }');
  const sockets: ResponsesWS[] = [];
  const connect = () => {
    const ws = new ResponsesWS(up.openai());
    sockets.push(ws);
    return ws;
  };
  afterEach(() => { for (const ws of sockets.splice(0)) if (ws.socket.readyState <= 1) ws.close(); });

  // A turn continuing a response not stored is sent with the conversation's items before its own:
  // the conversation passing max_request_body_bytes made every later turn a 413 (and forgot the
  // latest response), where the same turns over HTTP with store: true are served.
  it('a response not stored continues past server.max_request_body_bytes: only the client\'s own message is held to it', async () => {
    const ws = connect();
    let previous: string | undefined;
    for (let i = 0; i < 4; i++) {
      up.emulators.oc!.enqueue({ text: `answer ${i}` });
      const events = await turn(ws, {
        type: 'response.create', model: 'oc:gpt-5.4', store: false, input: `${i}: ${'x'.repeat(30_000)}`,
        ...(previous !== undefined ? { previous_response_id: previous } : {}),
      });
      expect(events.at(-1), `turn ${i}`).to.include({ type: 'response.completed' });
      previous = completed(events)!.response.id;
    }
    const messages = up.emulators.oc!.requests.at(-1)!.body.messages as Json[];
    expect(messages.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(JSON.stringify(messages).length).to.be.above(120_000);
    // The client's own message is still held to the limit: the connection closes (1009, too big).
    const closed = new Promise<number>((resolve) => ws.socket.on('close', (code: number) => resolve(code)));
    ws.send({ type: 'response.create', model: 'oc:gpt-5.4', store: false, previous_response_id: previous!, input: 'x'.repeat(70_000) });
    expect(await closed).to.equal(1009);
  });

  // The turn's stream was parsed with lines of at most 4 x max_request_body_bytes: an event past
  // that (response.completed repeats the whole output) failed the parse, the turn was cut, and
  // the client got nothing more, not even an error (and the next turn ran as if nothing happened).
  it('a turn whose event is larger than 4 x max_request_body_bytes completes', async () => {
    const big = 'y'.repeat(300_000);
    up.emulators.oc!.enqueue({ text: big });
    up.emulators.oc!.enqueue({ text: 'small' });
    const ws = connect();
    await new Promise<void>((resolve) => (ws.socket.readyState === 1 ? resolve() : ws.socket.once('open', () => resolve())));
    // Both turns at once: the first end seen must be the first turn's.
    const events = await wsTurns(ws, () => {
      ws.send({ type: 'response.create', model: 'oc:gpt-5.4', store: false, input: 'big' });
      ws.send({ type: 'response.create', model: 'oc:gpt-5.4', store: false, input: 'small' });
    }, 1);
    const end = events.at(-1)!;
    expect(end.type).to.equal('response.completed');
    expect(end.response.output[0].content[0].text).to.equal(big);
    expect(events.filter((e) => e.type === 'response.created')).to.have.length(1);
  });
});
