import { expect } from 'chai';
import type { WebSocketTurn } from '../../../lib/frontends/protocol.js';
import { responsesWebSocket } from '../../../lib/frontends/openai-responses/websocket.js';

type Json = Record<string, any>;
type Run = Extract<WebSocketTurn, { body: unknown }>;

const create = (fields: Json) => JSON.stringify({ type: 'response.create', model: 'm', ...fields });
const asRun = (turn: WebSocketTurn): Run => {
  if (!('body' in turn)) throw new Error(`not a run: ${JSON.stringify(turn)}`);
  return turn;
};
/** The SSE events of a completed response `id` with `output` (stored with `store`), as the server's stream has them. */
const stream = (id: string, output: unknown[], previous: string | null = null, store?: boolean) => [
  ['response.created', { type: 'response.created', sequence_number: 0, response: { id, status: 'in_progress', output: [], previous_response_id: previous, store } }],
  ['response.output_text.delta', { type: 'response.output_text.delta', sequence_number: 1, delta: 'x' }],
  ['response.completed', { type: 'response.completed', sequence_number: 2, response: { id, status: 'completed', output, previous_response_id: previous, store } }],
] as const;
const play = (run: Run, events: ReturnType<typeof stream>) => events.map(([type, data]) => JSON.parse(run.event(type, JSON.stringify(data))) as Json);

describe('frontends/openai-responses/websocket: a connection\'s turns', () => {
  it('a response.create is the body of a streamed request (stream is the transport\'s)', () => {
    const run = asRun(responsesWebSocket.session().turn(create({ input: 'hi', stream: false, store: false, tools: [] })));
    expect(run.body).to.deep.equal({ model: 'm', input: 'hi', store: false, tools: [], stream: true });
  });

  it('other messages are errors naming what is wrong', () => {
    const session = responsesWebSocket.session();
    const errorOf = (text: string) => {
      const turn = session.turn(text);
      if (!('error' in turn)) throw new Error('expected an error');
      return turn.error;
    };
    expect(errorOf('{"type":')).to.include({ code: 'LIP_ERR_REQUEST_INVALID_JSON', status: 400 });
    expect(errorOf('[1]')).to.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'type' });
    expect(errorOf('{"type": "response.cancel"}').message).to.contain('"response.cancel" is not a client event');
    expect(errorOf(create({ generate: 'no' }))).to.include({ param: 'generate' });
    // A fuzzer find: a type whose toString cannot be called was a TypeError, not the 400.
    expect(errorOf('{"type": {"toString": null}}')).to.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'type' });
    expect(errorOf('{"model": "m"}').message).to.contain('a message without a type');
    // A message past the limits of an HTTP body is refused as one would be (it nested past JSON.stringify's stack).
    const deep = errorOf(`{"type":"response.create","model":"m","metadata":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
    expect(deep).to.include({ code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', status: 400 });
    expect(deep.message).to.contain('nests deeper than 128 levels');
    // Lanes are refused, not run in order under a client that expects its events tagged.
    expect(errorOf(create({ input: 'x', stream_id: 'lane-1' }))).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'stream_id' });
  });

  it('the latest response continues without the store: its items go first, and its events name it', () => {
    const session = responsesWebSocket.session();
    const first = asRun(session.turn(create({ store: false, input: 'one' })));
    const output = [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'uno' }] }];
    // Events the session does not read leave it as they came (no re-serialisation).
    const delta = JSON.stringify({ type: 'response.output_text.delta', delta: 'x' });
    expect(first.event('response.output_text.delta', delta)).to.equal(delta);
    play(first, stream('resp_1', output));
    const second = asRun(session.turn(create({ store: false, previous_response_id: 'resp_1', input: [{ type: 'message', role: 'user', content: 'two' }] })));
    expect(second.body).to.not.have.property('previous_response_id');
    expect(second.body.input).to.deep.equal([{ type: 'message', role: 'user', content: 'one' }, ...output, { type: 'message', role: 'user', content: 'two' }]);
    const events = play(second, stream('resp_2', []));
    expect(events.filter((e) => e.response).map((e) => e.response.previous_response_id)).to.deep.equal(['resp_1', 'resp_1']);
    // Another id (a stored response) goes to the store: passed on as it is.
    const stored = asRun(session.turn(create({ previous_response_id: 'resp_stored', input: 'x' })));
    expect(stored.body).to.include({ previous_response_id: 'resp_stored', input: 'x' });
  });

  it('a stored latest response continues through the store; one not stored names the stored response it followed', () => {
    const session = responsesWebSocket.session();
    const output = [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'uno' }] }];
    play(asRun(session.turn(create({ previous_response_id: 'resp_0', input: 'one' }))), stream('resp_1', output, 'resp_0', true));
    // Stored: sent as over HTTP (its stored previous_response_id and input items come out as they would).
    const second = asRun(session.turn(create({ store: false, previous_response_id: 'resp_1', input: 'two' })));
    expect(second.body).to.include({ previous_response_id: 'resp_1', input: 'two' });
    play(second, stream('resp_2', output, 'resp_1'));
    // Not stored: its items, after the stored response it continued (whose conversation comes first).
    const third = asRun(session.turn(create({ store: false, previous_response_id: 'resp_2', input: 'three' })));
    expect(third.body.previous_response_id).to.equal('resp_1');
    expect(third.body.input).to.deep.equal([{ type: 'message', role: 'user', content: 'two' }, ...output, { type: 'message', role: 'user', content: 'three' }]);
    const events = play(third, stream('resp_3', []));
    expect(events.filter((e) => e.response).map((e) => e.response.previous_response_id)).to.deep.equal(['resp_2', 'resp_2']);
    // ... and so does the one after it.
    const fourth = asRun(session.turn(create({ store: false, previous_response_id: 'resp_3', input: 'four' })));
    expect(fourth.body.previous_response_id).to.equal('resp_1');
    expect((fourth.body.input as unknown[]).map((i) => (i as Json).content)).to.deep.equal(['two', output[0]!.content, 'three', 'four']);
  });

  it('a turn that fails forgets the latest response; one that completes does not', () => {
    const session = responsesWebSocket.session();
    const first = asRun(session.turn(create({ input: 'one' })));
    play(first, stream('resp_1', []));
    first.failed(); // told after its stream ended: nothing changes
    const failing = asRun(session.turn(create({ previous_response_id: 'resp_1', input: 'two' })));
    expect(failing.body).to.not.have.property('previous_response_id');
    failing.failed();
    const after = asRun(session.turn(create({ previous_response_id: 'resp_1', input: 'three' })));
    expect(after.body).to.include({ previous_response_id: 'resp_1' });
  });

  it('a continuation with a tool output for a call the conversation never made is refused, and the response forgotten', () => {
    const session = responsesWebSocket.session();
    const first = asRun(session.turn(create({ store: false, input: 'weather?' })));
    play(first, stream('resp_1', [{ type: 'function_call', call_id: 'call_1', name: 'w', arguments: '{}' }]));
    // The output of the call it made continues it.
    const answered = asRun(session.turn(create({ store: false, previous_response_id: 'resp_1', input: [{ type: 'function_call_output', call_id: 'call_1', output: 'sunny' }] })));
    play(answered, stream('resp_2', []));
    // An output whose call the conversation (its items and the turn's own) never made is not sent upstream.
    const orphan = session.turn(create({ store: false, previous_response_id: 'resp_2', input: [{ type: 'message', role: 'user', content: 'and?' }, { type: 'custom_tool_call_output', call_id: 'call_x', output: 'ok' }] }));
    if (!('error' in orphan)) throw new Error('expected an error');
    expect(orphan.error).to.include({ code: 'LIP_ERR_REQUEST_INVALID', status: 400, param: 'input[1].call_id' });
    expect(orphan.error.message).to.contain('custom_tool_call_output for call id "call_x" answers no tool call');
    // resp_2 is forgotten: its id now goes to the store, which does not have it (store: false).
    const after = asRun(session.turn(create({ previous_response_id: 'resp_2', input: 'again' })));
    expect(after.body).to.include({ previous_response_id: 'resp_2', input: 'again' });
    // Without a continuation the client owns its history: an output without its call is passed on.
    const fresh = asRun(responsesWebSocket.session().turn(create({ input: [{ type: 'function_call_output', call_id: 'call_x', output: 'ok' }] })));
    expect(fresh.body.input).to.have.length(1);
  });

  // Found by the WebSocket probe: a continuation of the latest response not stored took its
  // items and dropped an `input` that is neither a string nor an array (`input: 5`), running the
  // turn without it; a warm-up did too. Refused as over HTTP, and the response forgotten.
  it('an input that is neither a string nor an array is refused as over HTTP, a continuation\'s too, and the response forgotten', () => {
    const session = responsesWebSocket.session();
    play(asRun(session.turn(create({ store: false, input: 'one' }))), stream('resp_1', []));
    const refusal = (fields: Json) => {
      const turn = session.turn(create(fields));
      if (!('error' in turn)) throw new Error(`expected an error: ${JSON.stringify(turn)}`);
      return turn.error;
    };
    const local = refusal({ store: false, previous_response_id: 'resp_1', input: 5 });
    expect(local).to.include({ code: 'LIP_ERR_REQUEST_INVALID', status: 400, param: 'input', message: 'input: must be a string or an array of input items (got number 5)' });
    // resp_1 is forgotten: its id now goes to the store.
    expect(asRun(session.turn(create({ previous_response_id: 'resp_1', input: 'again' }))).body).to.include({ previous_response_id: 'resp_1' });
    expect(refusal({ input: null }).message).to.equal('input: must be a string or an array of input items (got null)');
    expect(refusal({ generate: false, input: { role: 'user' } })).to.include({ param: 'input', message: 'input: must be a string or an array of input items (got an object)' });
    // Without input, a continuation sends the conversation alone (as over HTTP).
    play(asRun(session.turn(create({ store: false, input: 'two' }))), stream('resp_2', []));
    expect(asRun(session.turn(create({ store: false, previous_response_id: 'resp_2' }))).body.input).to.deep.equal([{ type: 'message', role: 'user', content: 'two' }]);
  });

  it('generate: false answers created and completed with no output, and the next turn continues from it', () => {
    const session = responsesWebSocket.session();
    const warm = session.turn(create({ generate: false, instructions: 'Be brief.', input: [{ type: 'message', role: 'developer', content: 'French.' }] }));
    if (!('answer' in warm)) throw new Error('expected an answer');
    const [created, done] = warm.answer.map((m) => JSON.parse(m) as Json);
    expect([created!.type, done!.type]).to.deep.equal(['response.created', 'response.completed']);
    expect(done!.response).to.deep.include({ status: 'completed', output: [], instructions: 'Be brief.', object: 'response' });
    expect(done!.response.usage).to.include({ input_tokens: 0, output_tokens: 0 });
    expect(created!.response.id).to.match(/^resp_/).and.equal(done!.response.id);
    const next = asRun(session.turn(create({ previous_response_id: done!.response.id, input: 'Hello.' })));
    expect(next.body.input).to.deep.equal([{ type: 'message', role: 'developer', content: 'French.' }, { type: 'message', role: 'user', content: 'Hello.' }]);
    // An invalid warm-up is the decoder's error.
    const bad = session.turn(create({ generate: false, input: 'x', temperature: 'hot' }));
    expect('error' in bad && bad.error.param).to.equal('temperature');
  });

  it('an error before the stream is one message with the status and the envelope\'s error', () => {
    const session = responsesWebSocket.session();
    expect(JSON.parse(session.errorMessage(404, { error: { code: 'previous_response_not_found', message: 'm' } }))).to.deep.equal({ type: 'error', status: 404, error: { code: 'previous_response_not_found', message: 'm' } });
  });
});
