import { expect } from 'chai';
import { collectEvents, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import type { LipError } from '../../../lib/errors/index.js';
import { AnthropicStreamEncoder, decodeMessagesRequest, encodeMessagesResponse } from '../../../lib/frontends/anthropic/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { refusalOf } from '../../helpers/refusal.js';
import { accumulate, checkAnthropicWire } from './wire-check.js';

const HOSTED = 'anthropic.server_tool';
const base = { model: 'claude-sonnet-4-6', max_tokens: 256 };
const decode = (body: Record<string, unknown>): Call => decodeMessagesRequest({ ...base, messages: [{ role: 'user', content: 'q' }], ...body }).call;
const decodeError = (body: Record<string, unknown>): LipError => refusalOf(() => decode(body));

const ADVISOR = { type: 'advisor_20260301', name: 'advisor', model: 'claude-opus-4-6', max_uses: 2, max_tokens: 1500, caching: { type: 'ephemeral', ttl: '5m' } };
const USE = { type: 'server_tool_use', id: 'srvtoolu_adv1', name: 'advisor', input: {} };
const ADVICE = { type: 'advisor_tool_result', tool_use_id: 'srvtoolu_adv1', content: { type: 'advisor_result', text: 'Fix the sign handling first, then add a test for -1 + -1.', stop_reason: 'end_turn' } };
const REDACTED = { type: 'advisor_tool_result', tool_use_id: 'srvtoolu_adv2', content: { type: 'advisor_redacted_result', encrypted_content: 'EqQBCkgIAxABopaque', stop_reason: 'end_turn' } };

const contextOf = (call: Call): EncodeContext => ({ call, model: undefined, hints: {}, requestId: 'r', created: 1700000000 });
const hosted = (id: string, phase: 'added' | 'progress' | 'done', fields: Record<string, unknown>): LipEvent => ({ type: 'hosted_tool', id, dialect: HOSTED, phase, ...fields });

/**
 * Anthropic's advisor tool (`advisor_20260301`: the model consults a stronger model, which
 * Anthropic runs within the answer) for an Anthropic client: it was a 400. Now it is a hosted tool
 * whose declaration, `server_tool_use` (named `advisor`, an empty input) and `advisor_tool_result`
 * pass as written, both ways.
 */
describe('frontends/anthropic the advisor tool (advisor_20260301, advisor_tool_result)', () => {
  it('declares the advisor as a hosted tool: the declaration as written less cache_control (the cache mark), later versions too', () => {
    const tools = decode({ tools: [{ ...ADVISOR, cache_control: { type: 'ephemeral' } }, { type: 'advisor_20270101', name: 'advisor', model: 'claude-opus-5' }] }).tools;
    expect(tools).to.deep.equal([
      { name: 'advisor', kind: 'hosted', parameters: {}, providerTool: { dialect: HOSTED, definition: ADVISOR }, cache: {} },
      { name: 'advisor', kind: 'hosted', parameters: {}, providerTool: { dialect: HOSTED, definition: { type: 'advisor_20270101', name: 'advisor', model: 'claude-opus-5' } } },
    ]);
  });

  it('keeps the advisor\'s blocks of an assistant turn in place as hosted parts, as written; a result in a user turn or without its tool_use_id is a 400 naming the field', () => {
    const call = decode({
      tools: [ADVISOR],
      messages: [{ role: 'user', content: 'Fix add().' }, { role: 'assistant', content: [USE, ADVICE, { type: 'text', text: 'On it.' }, { ...USE, id: 'srvtoolu_adv2' }, REDACTED] }, { role: 'user', content: 'Go.' }],
    });
    expect(call.messages[1]!.parts).to.deep.equal([
      { type: 'hosted_tool', dialect: HOSTED, block: USE }, { type: 'hosted_tool', dialect: HOSTED, block: ADVICE }, { type: 'text', text: 'On it.' },
      { type: 'hosted_tool', dialect: HOSTED, block: { ...USE, id: 'srvtoolu_adv2' } }, { type: 'hosted_tool', dialect: HOSTED, block: REDACTED },
    ]);
    const turn = (content: unknown[], role = 'assistant') => decodeError({ tools: [ADVISOR], messages: [{ role: 'user', content: 'q' }, { role, content }] });
    expect(turn([ADVICE], 'user')).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'messages[1].content[0].type: advisor_tool_result blocks belong in assistant messages' });
    expect(turn([{ ...ADVICE, tool_use_id: undefined }])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'messages[1].content[0].tool_use_id' });
    expect(turn([{ ...ADVICE, content: 'advice' }])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'messages[1].content[0].content' });
  });

  it('writes the advisor\'s call and its result back as the upstream streamed them, and in place in the whole answer', () => {
    const call = decode({ tools: [ADVISOR] });
    const events: LipEvent[] = [
      { type: 'response_started' }, { type: 'message_started' },
      hosted('srvtoolu_adv1', 'added', { block: USE }), hosted('srvtoolu_adv1', 'done', { block: USE }),
      hosted('srvtoolu_adv1:advisor_tool_result', 'added', { block: ADVICE }), hosted('srvtoolu_adv1:advisor_tool_result', 'done', { block: ADVICE }),
      { type: 'text_delta', text: 'Fixing the sign handling.' }, { type: 'response_finished', reason: 'stop' },
    ];
    const encoder = new AnthropicStreamEncoder(contextOf(call));
    const wire = checkAnthropicWire(events.map((e) => encoder.event(e)).join('') + encoder.end());
    const answer = encodeMessagesResponse(collectEvents(events), contextOf(call));
    const expected = [USE, ADVICE, { type: 'text', text: 'Fixing the sign handling.' }];
    expect(accumulate(wire)).to.deep.equal(expected);
    expect(answer.content).to.deep.equal(expected);
    expect(wire.filter((e) => e.event === 'content_block_start').map((e) => e.data.content_block)).to.deep.equal(expected.map((b) => (b.type === 'text' ? { type: 'text', text: '' } : b)));
    expect(answer.stop_reason).to.equal('end_turn');
  });
});
