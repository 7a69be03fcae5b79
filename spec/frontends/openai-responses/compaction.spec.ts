import { expect } from 'chai';
import { COMPACTION_PREAMBLE, HOSTED_DIALECTS, REASONING_DIALECTS, collectEvents, validateCall, type LipEvent } from '../../../lib/canonical/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeInputItems, encodeResponsesResponse } from '../../../lib/frontends/openai-responses/index.js';
import { responsesCompactRoute } from '../../../lib/frontends/openai-responses/compact.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { sealState } from '../../../lib/frontends/state-envelope.js';
import { checkResponsesWire, sdkFinalResponse } from './wire-check.js';
import { refusalOf } from '../../helpers/refusal.js';

type Json = Record<string, any>;

const OURS = HOSTED_DIALECTS.openaiResponses;
/** OpenAI's compaction item (SDK: ResponseCompactionItem), its content encrypted by OpenAI. */
const COMPACTION = { id: 'cmp_68c0', type: 'compaction', encrypted_content: 'gAAAAABoWq3-openai-encrypted-state' };
const TRIGGER = { type: 'compaction_trigger' };
const LIP_COMPACTION = { type: 'compaction', encrypted_content: sealState({ dialect: REASONING_DIALECTS.lipCompaction, text: 'The user wants b.ts.' }) };

const decode = (body: Json) => decodeResponsesRequest({ model: 'gpt-5.6', ...body });
const refusal = (body: Json) => refusalOf(() => decode(body));
const RESPONSE_ID = 'resp_0123456789abcdef0123456789abcdef0123456789abcdef';

describe('frontends/openai-responses compaction', () => {
  describe('the request', () => {
    it('keeps OpenAI\'s compaction item as written: a hosted part of the assistant\'s turn standing for the turns before it, with no readable summary', () => {
      const { call } = decode({ input: [{ role: 'user', content: 'fix a.ts' }, COMPACTION, { type: 'message', role: 'assistant', content: 'Fixed.' }, { role: 'user', content: 'and b.ts' }] });
      expect(validateCall(call)).to.deep.equal([]);
      expect(call.messages).to.deep.equal([
        { role: 'user', parts: [{ type: 'text', text: 'fix a.ts' }] },
        { role: 'assistant', parts: [{ type: 'hosted_tool', dialect: OURS, block: COMPACTION, compaction: {} }, { type: 'text', text: 'Fixed.' }] },
        { role: 'user', parts: [{ type: 'text', text: 'and b.ts' }] },
      ]);
      // One that opens the input (the turns before it dropped, as OpenAI suggests) too.
      expect(decode({ input: [COMPACTION, { role: 'user', content: 'go on' }] }).call.messages[0]).to.deep.equal({ role: 'assistant', parts: [{ type: 'hosted_tool', dialect: OURS, block: COMPACTION, compaction: {} }] });
    });

    it('still reads a compaction item lip made as the summary it holds', () => {
      const { call } = decode({ input: [LIP_COMPACTION, { role: 'user', content: 'go on' }] });
      expect(call.messages[0]).to.deep.equal({ role: 'user', parts: [{ type: 'text', text: `${COMPACTION_PREAMBLE}\n\nThe user wants b.ts.` }] });
    });

    it('refuses a compaction item holding state lip sealed for something else, and a malformed one, naming the field', () => {
      const sealedReasoning = { type: 'compaction', encrypted_content: sealState({ dialect: REASONING_DIALECTS.anthropicThinking, signature: 'sig' }) };
      expect(refusal({ input: [sealedReasoning] })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'input[0].encrypted_content' });
      expect(refusal({ input: [{ type: 'compaction' }] })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'input[0].encrypted_content', message: 'input[0].encrypted_content: is required' });
      expect(refusal({ input: [{ type: 'compaction', encrypted_content: '' }] })).to.deep.include({ param: 'input[0].encrypted_content' });
      expect(refusal({ input: [{ ...COMPACTION, id: 3 }] })).to.deep.include({ param: 'input[0].id' });
    });

    it('reads a compaction_trigger, which must be the last item, as the request asking OpenAI to compact (a hosted knob, no message)', () => {
      const { call } = decode({ input: [{ role: 'user', content: 'a long session' }, TRIGGER] });
      expect(call.messages).to.deep.equal([{ role: 'user', parts: [{ type: 'text', text: 'a long session' }] }]);
      expect(call.providerOptions?.openai).to.deep.equal({ compactionTrigger: true });
      expect(decode({ input: [{ role: 'user', content: 'x' }] }).call.providerOptions).to.equal(undefined);
      expect(refusal({ input: [TRIGGER, { role: 'user', content: 'x' }] })).to.deep.include({
        code: 'LIP_ERR_REQUEST_INVALID', param: 'input[0].type', message: 'input[0].type: a compaction_trigger must be the last input item',
      });
    });

    it('refuses a compaction_trigger in a compact request, which compacts its input itself', () => {
      const error = refusalOf(() => responsesCompactRoute.decode({ model: 'gpt-5.6', input: [{ role: 'user', content: 'x' }, TRIGGER] }, {} as never));
      expect(error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'input[1].type' });
    });

    it('carries context_management (server-side compaction) as an OpenAI knob, type-checked', () => {
      const managed = [{ type: 'compaction', compact_threshold: 200_000 }];
      expect(decode({ input: 'x', context_management: managed }).call.providerOptions?.openai).to.deep.equal({ contextManagement: managed });
      expect(decode({ input: 'x', context_management: null }).call.providerOptions).to.equal(undefined);
      expect(refusal({ input: 'x', context_management: [{ type: 'compaction', compact_threshold: 'big' }] })).to.deep.include({ param: 'context_management[0].compact_threshold' });
      expect(refusal({ input: 'x', context_management: { type: 'compaction' } })).to.deep.include({ param: 'context_management' });
    });
  });

  describe('the response', () => {
    const events: LipEvent[] = [
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'hosted_tool', id: COMPACTION.id, dialect: OURS, phase: 'added', block: COMPACTION },
      { type: 'hosted_tool', id: COMPACTION.id, dialect: OURS, phase: 'done', block: COMPACTION },
      { type: 'text_delta', text: 'Done.' },
      { type: 'response_finished', reason: 'stop' },
    ];

    it('writes OpenAI\'s compaction item as written, streamed (the SDK ends with it) and whole, at the same place', async () => {
      const decoded = decode({ input: [{ role: 'user', content: 'x' }, TRIGGER] });
      const context: EncodeContext = { call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1_700_000_000, responseId: RESPONSE_ID };
      const encoder = new ResponsesStreamEncoder(context);
      const wire = events.map((e) => encoder.event(e)).join('') + encoder.end();
      const seen = checkResponsesWire(wire);
      expect(seen.slice(2, 4).map((e) => [e.event, e.data.item])).to.deep.equal([['response.output_item.added', COMPACTION], ['response.output_item.done', COMPACTION]]);
      const final = await sdkFinalResponse(wire);
      expect(final.output[0]).to.deep.equal(COMPACTION);
      const whole = encodeResponsesResponse(collectEvents(events), context) as Json;
      expect(whole.output).to.deep.equal(seen.at(-1)!.data.response.output);
      expect(whole.output[0]).to.deep.equal(COMPACTION);
    });

    it('lists the compaction item as written among a stored response\'s input items (the trigger, a request of that response alone, is none)', () => {
      const input = decode({ input: [COMPACTION, { role: 'user', content: 'x' }, TRIGGER] }).call.messages;
      const items = encodeInputItems(RESPONSE_ID, input);
      expect(items.map((i) => i.type)).to.deep.equal(['compaction', 'message']);
      expect(items[0]).to.deep.equal(COMPACTION);
    });
  });
});
