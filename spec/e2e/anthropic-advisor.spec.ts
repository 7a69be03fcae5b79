import Anthropic from '@anthropic-ai/sdk';
import type { BetaContentBlockParam, BetaMessage, BetaMessageParam, BetaToolUnion, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { expect } from 'chai';
import type { Script } from '../helpers/emulators/index.js';
import { askAnthropicBeta, plainBlocks as plain, useUpstreams } from '../helpers/upstreams.js';

const BETA = 'advisor-tool-2026-03-01';
const ADVISOR: BetaToolUnion = { type: 'advisor_20260301', name: 'advisor', model: 'claude-opus-4-6', max_uses: 2, caching: { type: 'ephemeral', ttl: '5m' } };
const QUESTION: BetaMessageParam = { role: 'user', content: 'Refactor the retry loop in src/client.ts.' };
/** The advisor as Anthropic answers it: the model consults it (an empty input), the advice comes back, the model goes on. */
const CONSULTED = [
  { type: 'server_tool_use', id: 'srvtoolu_01Adv9', name: 'advisor', input: {} },
  { type: 'advisor_tool_result', tool_use_id: 'srvtoolu_01Adv9', content: { type: 'advisor_result', text: 'Keep the backoff in one place; cap it at 30 s.', stop_reason: 'end_turn' } },
];
const ANSWER: Script = { hosted: CONSULTED, text: ['I will move the backoff ', 'into one helper.'], usage: { input: 200, output: 30 } };
const TEXT = { type: 'text', text: 'I will move the backoff into one helper.' };

/**
 * Anthropic's advisor tool (`advisor_20260301`: the model consults a stronger model, which
 * Anthropic runs within the answer) for an Anthropic client through the official SDK's beta
 * surface, streamed and not. It was a 400. Now the tool and its beta reach an Anthropic upstream as
 * declared, the `server_tool_use` and `advisor_tool_result` come back as the upstream wrote them
 * and go back up on the next turn; a route moves on past another provider before sending anything,
 * and a route without an Anthropic candidate is a 400.
 */
describe('e2e: Anthropic\'s advisor tool (advisor_20260301)', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } });
  const anthropic = () => up.emulators.an!;
  const chat = () => up.emulators.oc!;

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const ask = (p: MessageCreateParamsNonStreaming): Promise<BetaMessage> => askAnthropicBeta(up.anthropic(), p, stream);

    it(`the tool and its beta reach the upstream as declared; the advisor's blocks come back as written (${mode})`, async () => {
      anthropic().enqueue(ANSWER);
      const message = await ask({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], tools: [ADVISOR], messages: [QUESTION] });
      const sent = anthropic().requests[0]!;
      expect(sent.body.tools).to.deep.equal([ADVISOR]);
      expect(sent.headers['anthropic-beta']).to.equal(BETA);
      expect(plain(message.content)).to.deep.equal([...CONSULTED, TEXT]);
      expect(message.stop_reason).to.equal('end_turn');
    });

    it(`the next turn sends the blocks back in place as written (${mode})`, async () => {
      anthropic().enqueue(ANSWER, { text: 'Done.' });
      const params = { model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], tools: [ADVISOR] };
      const first = await ask({ ...params, messages: [QUESTION] });
      await ask({ ...params, messages: [QUESTION, { role: 'assistant', content: first.content as unknown as BetaContentBlockParam[] }, { role: 'user', content: 'Go ahead.' }] });
      expect(anthropic().requests[1]!.body.messages[1]).to.deep.equal({ role: 'assistant', content: [...CONSULTED, TEXT] });
    });
  }

  it('a route whose first candidate is another provider moves on, before sending anything, to the anthropic one', async () => {
    anthropic().enqueue(ANSWER);
    const res = await up.anthropic().beta.messages.create({ model: 'oc:gpt-5.4-mini|an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], tools: [ADVISOR], messages: [QUESTION] }).withResponse();
    expect(plain(res.data.content)).to.deep.equal([...CONSULTED, TEXT]);
    expect(res.response.headers.get('x-lip-backend')).to.equal('an:claude-sonnet-4-6');
    expect(chat().requests).to.have.length(0);
  });

  it('a route with no anthropic candidate refuses with a 400 naming the tool; nothing goes upstream', async () => {
    const err = await up.anthropic().beta.messages.create({ model: 'oc:gpt-5.4-mini', max_tokens: 1024, betas: [BETA], tools: [ADVISOR], messages: [QUESTION] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    const body = (err as InstanceType<typeof Anthropic.BadRequestError>).error as { error: { message: string } };
    expect(body.error.message).to.include('no candidate can serve this request').and.include('cannot run the hosted tool "advisor"');
    expect(chat().requests).to.have.length(0);
  });
});
