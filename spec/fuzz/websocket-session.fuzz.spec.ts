import { expect } from 'chai';
import fc from 'fast-check';
import { responsesWebSocket } from '../../lib/frontends/openai-responses/websocket.js';
import { responsesRoutes } from '../../lib/frontends/openai-responses/routes.js';
import { parseJson } from '../../lib/wire/json-body.js';
import { expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { hostileText, mutatedJsonText, type Json } from './json-mutations.js';
import { SEED_REQUESTS } from './seed-requests.js';

const create = responsesRoutes[0]!;
/** The Responses seeds as WebSocket turns, some of them warm-ups. */
const TURNS: Json[] = SEED_REQUESTS['openai-responses']!.flatMap((seed) => [
  { type: 'response.create', ...(seed as Record<string, Json>) },
  { type: 'response.create', generate: false, ...(seed as Record<string, Json>) },
]);

/**
 * A connection's messages (lib/frontends/openai-responses/websocket.ts), as the server runs them:
 * every message is a turn whose body the route decodes to a call or a LipError, an answer of
 * JSON messages, or a LipError; nothing throws anything else, and a connection goes on after
 * each (its latest response kept or forgotten).
 */
describe('fuzz: the Responses WebSocket session (messages of one connection)', function () {
  this.timeout(fuzzTimeout(30));

  const run = (session: ReturnType<typeof responsesWebSocket.session>, text: string) => {
    const turn = session.turn(text);
    if ('error' in turn) return expectLipError(turn.error);
    if ('answer' in turn) {
      for (const message of turn.answer) expect(JSON.parse(message)).to.have.property('type');
      return;
    }
    expect(turn.body.stream).to.equal(true);
    try {
      create.decode(parseJson(JSON.stringify(turn.body)), { params: {}, query: new URLSearchParams(), headers: {} });
    } catch (err) {
      expectLipError(err);
      return turn.failed();
    }
    // The turn completes: the next one may continue from it.
    const completed = { type: 'response.completed', response: { id: 'resp_fuzz', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'x' }] }] } };
    expect(JSON.parse(turn.event('response.completed', JSON.stringify(completed)))).to.have.property('type', 'response.completed');
  };

  it('answers mutated turns (and continuations of the latest response) with a turn, an answer or a LipError', () => {
    fc.assert(fc.property(fc.array(fc.tuple(mutatedJsonText(TURNS), fc.boolean()), { minLength: 1, maxLength: 4 }), (messages) => {
      const session = responsesWebSocket.session();
      for (const [body, continues] of messages) {
        let text = body.text;
        if (continues) {
          try {
            const value = JSON.parse(text) as unknown;
            if (value !== null && typeof value === 'object' && !Array.isArray(value)) text = JSON.stringify({ ...value, previous_response_id: 'resp_fuzz' });
          } catch { /* not JSON: sent as it is */ }
        }
        run(session, text);
      }
    }), fuzzParameters(0.5));
  });

  it('answers any text and any JSON value with an error or a turn', () => {
    fc.assert(fc.property(fc.oneof(hostileText, fc.string(), fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v))), (text) => {
      run(responsesWebSocket.session(), text);
    }), fuzzParameters());
  });
});
