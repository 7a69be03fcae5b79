import { expect } from 'chai';
import { REASONING_DIALECTS, collectEvents, type LipEvent, type Message } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeInputItems, encodeResponsesResponse, responsesStoredRoutes } from '../../../lib/frontends/openai-responses/index.js';
import type { EncodeContext, StoredResponseView } from '../../../lib/frontends/protocol.js';
import { openState } from '../../../lib/frontends/state-envelope.js';
import { checkResponsesWire } from './wire-check.js';
import { itemOwner, storedItemId } from '../../../lib/frontends/openai-responses/item-ids.js';
import { responsesBackground } from '../../../lib/frontends/openai-responses/stored-response.js';

const RESPONSE_ID = 'resp_0123456789abcdef0123456789abcdef0123456789abcdef';
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const turn: LipEvent[] = [
  { type: 'response_started', model: 'gpt-served' }, { type: 'reasoning_delta', text: 'plan' }, { type: 'reasoning_signature', signature: 'sig', dialect: REASONING_DIALECTS.anthropicThinking },
  { type: 'text_delta', text: 'Calling.' }, { type: 'tool_call_started', id: 'call_1', name: 'weather' }, { type: 'tool_call_delta', id: 'call_1', args: '{"city":"Paris"}' },
  { type: 'tool_call_finished', id: 'call_1' }, { type: 'usage', usage: { inputTokens: 9, outputTokens: 4 } }, { type: 'response_finished', reason: 'tool_calls' },
];

/** A stored response of a request decoded from `body`, answered with `events`. */
function stored(body: Record<string, unknown>, events: readonly LipEvent[] = turn): { view: StoredResponseView; context: EncodeContext } {
  const decoded = decodeResponsesRequest({ model: 'gpt-x', input: 'Weather in Paris?', ...body });
  const context: EncodeContext = {
    call: decoded.call, hints: decoded.hints!, requestId: 'req', created: 1_700_000_000, now: () => 1_700_000_002, model: 'gpt-served', responseId: RESPONSE_ID, continuation: decoded.continuation!,
  };
  const view: StoredResponseView = {
    id: RESPONSE_ID, previousResponseId: decoded.continuation!.previousResponseId, model: 'gpt-served', createdAt: 1_700_000_000_750,
    input: decoded.continuation!.input ? [...decoded.continuation!.input] : decoded.call.messages, output: collectEvents(events),
    // As the server keeps it: with the second the response completed.
    echo: { ...decoded.continuation!.echo, completed_at: 1_700_000_002 },
  };
  return { view, context };
}

function thrown(fn: () => unknown): LipError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    return err as LipError;
  }
  throw new Error('expected a LipError');
}

describe('frontends/openai-responses stored responses', () => {
  describe('retrieve', () => {
    it('is the Response object its request was answered with, whole or streamed: ids, time, model, items, usage, echoed fields', () => {
      const { view, context } = stored({ instructions: 'Be brief.', metadata: { tag: 't1' }, previous_response_id: 'resp_prev', temperature: 0.2 });
      const retrieved = responsesStoredRoutes.retrieve(new URLSearchParams())(view);
      expect(retrieved).to.deep.equal(encodeResponsesResponse(collectEvents(turn), context));
      const encoder = new ResponsesStreamEncoder(context);
      const frames = checkResponsesWire(turn.map((e) => encoder.event(e)).join('') + encoder.end());
      expect(retrieved).to.deep.equal(frames.at(-1)!.data.response);
      expect(retrieved).to.deep.include({
        id: RESPONSE_ID, created_at: 1_700_000_000, completed_at: 1_700_000_002, status: 'completed', model: 'gpt-served', previous_response_id: 'resp_prev', store: true,
        instructions: 'Be brief.', metadata: { tag: 't1' }, temperature: 0.2,
      });
      const output = (retrieved as { output: { id: string; type: string }[] }).output;
      expect(output.map((item) => item.type)).to.deep.equal(['reasoning', 'message', 'function_call']);
      // Each names the response it belongs to (what an item_reference resolves by).
      expect(output.map((item) => item.id)).to.deep.equal(['rs_', 'msg_', 'fc_'].map((prefix, i) => storedItemId(prefix, RESPONSE_ID, 'output', i)));
      expect(output.map((item) => itemOwner(item.id))).to.deep.equal([RESPONSE_ID, RESPONSE_ID, RESPONSE_ID]);
    });

    it('stream=true asks for the events after starting_after (-1: all; the server serves a background response\'s); a malformed cursor or stream value is a 400 naming it; include is accepted and ignored', () => {
      const after = (query: string) => responsesStoredRoutes.streamAfter!(new URLSearchParams(query));
      expect([after(''), after('stream=false'), after('stream=true'), after('stream=true&starting_after=0'), after('stream=true&starting_after=41')]).to.deep.equal([undefined, undefined, -1, 0, 41]);
      for (const bad of ['-1', '1.5', 'x', '1e3', '9999999999']) {
        expect(thrown(() => after(`stream=true&starting_after=${bad}`))).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', status: 400, param: 'starting_after' });
      }
      expect(thrown(() => responsesStoredRoutes.retrieve(new URLSearchParams('stream=yes')))).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'stream' });
      const { view } = stored({});
      const plain = responsesStoredRoutes.retrieve(new URLSearchParams())(view);
      expect(responsesStoredRoutes.retrieve(new URLSearchParams('stream=false&include[]=reasoning.encrypted_content&include[]=bogus'))(view)).to.deep.equal(plain);
    });
  });

  describe('background responses', () => {
    it('the objects while it runs: queued before its first output, in_progress after, with background: true and no output', () => {
      const { context } = stored({ background: true });
      expect(responsesBackground.running(context, false)).to.deep.include({ id: RESPONSE_ID, status: 'queued', background: true, output: [], completed_at: null, store: true });
      expect(responsesBackground.running(context, true)).to.deep.include({ status: 'in_progress', background: true });
    });

    it('a stored one shows how it ended: completed as encoded, cancelled (no error, as OpenAI\'s) or failed (with the error) from its kept ending; another response is no background one', () => {
      const { view } = stored({ background: true });
      const completed = responsesStoredRoutes.backgroundObject!(view) as Record<string, unknown>;
      expect(completed).to.deep.include({ status: 'completed', background: true, completed_at: 1_700_000_002 });
      const cancelled = { ...view, echo: { ...view.echo, ...responsesBackground.ending('cancelled', new LipError('LIP_ERR_REQUEST_CANCELLED', 'the background response was cancelled')) } };
      expect(responsesStoredRoutes.retrieve(new URLSearchParams())(cancelled)).to.deep.include({ status: 'cancelled', completed_at: null, error: null });
      const failed = { ...view, echo: { ...view.echo, ...responsesBackground.ending('failed', new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream status 500', { status: 502 })) } };
      const object = responsesStoredRoutes.backgroundObject!(failed) as Record<string, unknown>;
      expect(object).to.deep.include({ status: 'failed', error: { code: 'LIP_ERR_UPSTREAM_STATUS', message: 'upstream status 500' } });
      // What it had produced stays (the output items).
      expect((object.output as unknown[]).length).to.equal(3);
      expect(responsesStoredRoutes.backgroundObject!(stored({}).view)).to.equal(undefined);
    });
  });

  describe('input items', () => {
    const history: Message[] = [
      { role: 'system', parts: [{ type: 'text', text: 'Answer in English.' }] },
      { role: 'user', parts: [{ type: 'text', text: 'Look:' }, { type: 'image', url: 'https://example.com/cat.png', detail: 'low' }, { type: 'file', data: 'JVBERg==', mediaType: 'application/pdf', filename: 'a.pdf' }] },
      { role: 'assistant', parts: [
        { type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, text: 'a\n\nb', summary: ['a', 'b'], opaque: 'ENC', id: 'rs_up' },
        { type: 'text', text: 'Calling.' },
        { type: 'tool_call', id: 'call_1', name: 'weather', arguments: '{}' },
        { type: 'tool_call', id: 'call_2', name: 'patch', arguments: '*** raw', custom: true },
      ] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: '18C' }, { type: 'tool_result', callId: 'call_2', content: [{ type: 'text', text: 'done' }] }] },
    ];

    it('gives every item of the input in input order, in the shapes of the SDK\'s ResponseItem, with ids made from the response id (each names it)', () => {
      const items = encodeInputItems(RESPONSE_ID, history);
      const ids = items.map((item) => item.id as string);
      expect(items.map(({ id: _, ...rest }) => rest)).to.deep.equal([
        { type: 'message', role: 'system', status: 'completed', content: [{ type: 'input_text', text: 'Answer in English.' }] },
        { type: 'message', role: 'user', status: 'completed', content: [
          { type: 'input_text', text: 'Look:' }, { type: 'input_image', detail: 'low', image_url: 'https://example.com/cat.png' },
          { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERg==', filename: 'a.pdf' },
        ] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'a' }, { type: 'summary_text', text: 'b' }], encrypted_content: items[2]!.encrypted_content },
        { type: 'message', status: 'completed', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Calling.' }], role: 'assistant' },
        { type: 'function_call', status: 'completed', arguments: '{}', call_id: 'call_1', name: 'weather' },
        { type: 'custom_tool_call', status: 'completed', call_id: 'call_2', input: '*** raw', name: 'patch' },
        { type: 'function_call_output', call_id: 'call_1', output: '18C', status: 'completed' },
        { type: 'custom_tool_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'done' }], status: 'completed' },
      ]);
      // The upstream item id travels sealed with the encrypted content, as in the output.
      expect(openState(items[2]!.encrypted_content as string, 'x')).to.deep.equal({ dialect: REASONING_DIALECTS.openaiResponses, opaque: 'ENC', id: 'rs_up' });
      expect(ids.map((id) => id.split('_')[0])).to.deep.equal(['msg', 'msg', 'rs', 'msg', 'fc', 'ctc', 'fco', 'ctco']);
      expect(new Set(ids).size).to.equal(ids.length);
      expect(encodeInputItems(RESPONSE_ID, history).map((item) => item.id)).to.deep.equal(ids);
      expect(encodeInputItems(`${RESPONSE_ID}x`, history).map((item) => item.id)).to.not.include(ids[0]);
      expect(ids.map(itemOwner)).to.deep.equal(ids.map(() => RESPONSE_ID));
    });

    it('lists newest first by default, oldest first with order=asc, and pages with limit and after', () => {
      const view: StoredResponseView = { ...stored({}).view, input: history };
      const all = encodeInputItems(RESPONSE_ID, history).map((item) => item.id);
      const list = (query: string) => responsesStoredRoutes.inputItems(new URLSearchParams(query))(view) as { object: string; data: { id: string }[]; first_id: string | null; last_id: string | null; has_more: boolean };
      const newest = list('');
      expect(newest).to.deep.include({ object: 'list', first_id: all.at(-1), last_id: all[0], has_more: false });
      expect(newest.data.map((i) => i.id)).to.deep.equal([...all].reverse());
      expect(list('order=asc').data.map((i) => i.id)).to.deep.equal(all);
      const first = list('order=asc&limit=3');
      expect(first).to.deep.include({ first_id: all[0], last_id: all[2], has_more: true });
      const second = list(`order=asc&limit=3&after=${first.last_id}`);
      expect(second.data.map((i) => i.id)).to.deep.equal(all.slice(3, 6));
      const last = list(`order=asc&limit=3&after=${second.last_id}`);
      expect(last).to.deep.include({ has_more: false });
      expect(last.data.map((i) => i.id)).to.deep.equal(all.slice(6));
      expect(list(`limit=2&after=${all[1]}`)).to.deep.include({ data: [newest.data.at(-1)], has_more: false });
      expect(list(`after=${all[0]}`)).to.deep.include({ data: [], first_id: null, last_id: null, has_more: false });
    });

    it('refuses a malformed order or limit before any lookup, an unknown after, and before', () => {
      const check = (query: string) => thrown(() => responsesStoredRoutes.inputItems(new URLSearchParams(query)));
      expect(check('order=up')).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'order' });
      for (const limit of ['0', '101', '2.5', '-1', 'ten', '']) expect(check(`limit=${limit}`)).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'limit' });
      expect(check('before=msg_x')).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'before' });
      const encode = responsesStoredRoutes.inputItems(new URLSearchParams('after=msg_unknown&limit=100'));
      expect(thrown(() => encode(stored({}).view))).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'after' });
    });
  });

  it('answers a deletion as OpenAI does', () => {
    expect(responsesStoredRoutes.deleted(RESPONSE_ID)).to.deep.equal({ id: RESPONSE_ID, object: 'response.deleted', deleted: true });
  });
});
