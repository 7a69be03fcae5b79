import Anthropic from '@anthropic-ai/sdk';
import type { BetaContentBlockParam, BetaMessage, BetaMessageParam, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { expect } from 'chai';
import { COMPACTION_PREAMBLE } from '../../lib/canonical/index.js';
import type { Script } from '../helpers/emulators/index.js';
import { askAnthropicBeta, plainBlocks as plain, useUpstreams } from '../helpers/upstreams.js';

const BETA = 'compact-2026-01-12';
const EDIT = { type: 'compact_20260112' as const, trigger: { type: 'input_tokens' as const, value: 50_000 }, instructions: 'Keep file paths and failing tests.' };
const SUMMARY = 'The user is fixing add() in src/math.ts; the test "adds negatives" fails on -1 + -1.';
const BLOCK = { type: 'compaction' as const, content: SUMMARY, encrypted_content: 'Eo4BCkYIBxgCKkBopaque-compaction-state' };
const EARLIER: BetaMessageParam[] = [
  { role: 'user', content: 'The tests of src/math.ts fail. Find out why.' },
  { role: 'assistant', content: 'add() drops the sign of negative numbers.' },
  { role: 'user', content: 'Fix it.' },
];
/** Anthropic compacted the turns so far, then answered: the block first, the answer after it. */
const COMPACTED: Script = { compaction: { block: BLOCK, usage: { input: 1800, output: 120 } }, text: ['Fixed: add() ', 'keeps the sign.'], usage: { input: 300, output: 20 } };
const ANSWER = { type: 'text', text: 'Fixed: add() keeps the sign.' };

/**
 * Anthropic's server-side compaction for an Anthropic client through the official SDK's beta
 * surface (`client.beta.messages`, `betas: ["compact-2026-01-12"]`), streamed and not. It was a
 * 400. Now the compact edit (and a compaction request's `compaction`) reaches an Anthropic
 * upstream as written, the `compaction` block comes back as Anthropic wrote it (the SDK's
 * `compaction` event fires on the stream), a pause after compaction is `stop_reason:
 * "compaction"`, the block goes back up as written; a route moves on past another provider before
 * sending anything; and a conversation compacted on Anthropic continues on another provider,
 * which reads the summary at the conversation's start in place of the turns it replaced.
 */
describe('e2e: Anthropic\'s server-side compaction (compact_20260112, compaction blocks)', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' }, gem: { kind: 'gemini' } }, 'logging: { level: info, access_log: true }');
  const anthropic = () => up.emulators.an!;
  const chat = () => up.emulators.oc!;
  const gemini = () => up.emulators.gem!;

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const ask = (p: MessageCreateParamsNonStreaming): Promise<BetaMessage> => askAnthropicBeta(up.anthropic(), p, stream);

    it(`the compact edit and the beta reach the upstream as written; the compaction block comes back as written, before the answer (${mode})`, async () => {
      anthropic().enqueue(COMPACTED);
      const message = await ask({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], context_management: { edits: [EDIT] }, messages: EARLIER });
      const sent = anthropic().requests[0]!;
      expect(sent.body.context_management).to.deep.equal({ edits: [EDIT] });
      expect(sent.headers['anthropic-beta']).to.equal(BETA);
      expect(sent.stream).to.equal(stream);
      expect(plain(message.content)).to.deep.equal([BLOCK, ANSWER]);
      expect(message.stop_reason).to.equal('end_turn');
      // Anthropic's top-level counts, without the compaction's own tokens (usage.iterations): the client reads the compacted context's size.
      expect(message.usage).to.include({ input_tokens: 300, output_tokens: 20, cache_read_input_tokens: 0 });
      // ... and the iterations that hold the compaction's, as Anthropic wrote them.
      expect(message.usage.iterations).to.deep.equal([
        { type: 'compaction', input_tokens: 1800, output_tokens: 120, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null },
        { type: 'message', input_tokens: 300, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null, model: 'claude-sonnet-4-6' },
      ]);
    });

    it(`another protocol's client is written no iterations; its usage holds the compaction's tokens (${mode})`, async () => {
      anthropic().enqueue(COMPACTED);
      const params = { model: 'an:claude-sonnet-4-6', input: 'Fix it.' } as const;
      const response = stream ? await up.openai().responses.stream(params).finalResponse() : await up.openai().responses.create(params);
      expect(response.usage).to.not.have.property('iterations');
      expect(response.usage).to.include({ input_tokens: 2100, output_tokens: 140 });
    });

    it(`a pause after compaction is stop_reason "compaction" with the block alone (${mode})`, async () => {
      anthropic().enqueue({ compaction: { block: BLOCK }, rawFinish: 'compaction', usage: { input: 1800, output: 0 } });
      const message = await ask({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], context_management: { edits: [{ ...EDIT, pause_after_compaction: true }] }, messages: EARLIER });
      expect(plain(message.content)).to.deep.equal([BLOCK]);
      expect(message.stop_reason).to.equal('compaction');
    });

    it(`the next turn sends the block back first, as written (${mode})`, async () => {
      anthropic().enqueue(COMPACTED, { text: 'Done.' });
      const params = { model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], context_management: { edits: [EDIT] } };
      const first = await ask({ ...params, messages: EARLIER });
      // The client keeps only what the block did not replace: the block's message and the turns after it.
      const next = await ask({ ...params, messages: [{ role: 'assistant', content: first.content as unknown as BetaContentBlockParam[] }, { role: 'user', content: 'And subtract()?' }] });
      expect(plain(next.content)).to.deep.equal([{ type: 'text', text: 'Done.' }]);
      expect(anthropic().requests[1]!.body.messages).to.deep.equal([
        { role: 'assistant', content: [BLOCK, ANSWER] },
        { role: 'user', content: [{ type: 'text', text: 'And subtract()?' }] },
      ]);
    });
  }

  it('the SDK\'s stream reports the summary with its compaction event, as it would from Anthropic', async () => {
    anthropic().enqueue(COMPACTED);
    const summaries: string[] = [];
    const stream = up.anthropic().beta.messages.stream({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], context_management: { edits: [EDIT] }, messages: EARLIER });
    stream.on('compaction', (summary) => summaries.push(summary));
    await stream.finalMessage();
    expect(summaries).to.deep.equal([SUMMARY]);
  });

  it('a compaction request (compaction: {type: "summarize"}) reaches the upstream as written; the answer is the block alone', async () => {
    anthropic().enqueue({ compaction: { block: BLOCK }, rawFinish: 'compaction' });
    const message = await up.anthropic().beta.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 4096, betas: ['compact-2026-09-04'], compaction: { type: 'summarize', instructions: 'Keep file paths.' }, messages: EARLIER } as never);
    expect(anthropic().requests[0]!.body.compaction).to.deep.equal({ type: 'summarize', instructions: 'Keep file paths.' });
    expect(plain(message.content)).to.deep.equal([BLOCK]);
    expect(message.stop_reason).to.equal('compaction');
  });

  it('a route whose first candidate is another provider moves on, before sending anything, to the anthropic one', async () => {
    anthropic().enqueue(COMPACTED);
    const res = await up.anthropic().beta.messages.create({ model: 'oc:gpt-5.4-mini|an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], context_management: { edits: [EDIT] }, messages: EARLIER }).withResponse();
    expect(plain(res.data.content)).to.deep.equal([BLOCK, ANSWER]);
    expect(res.response.headers.get('x-lip-backend')).to.equal('an:claude-sonnet-4-6');
    expect(chat().requests).to.have.length(0);
  });

  it('a route with no anthropic candidate refuses with a 400 naming the edit; nothing goes upstream', async () => {
    const err = await up.anthropic().beta.messages.create({ model: 'oc:gpt-5.4-mini', max_tokens: 1024, betas: [BETA], context_management: { edits: [EDIT] }, messages: EARLIER })
      .then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    const body = (err as InstanceType<typeof Anthropic.BadRequestError>).error as { error: { type: string; message: string } };
    expect(body.error.type).to.equal('invalid_request_error');
    expect(body.error.message).to.include('no candidate can serve this request').and.include('context_management.edits[0] (compact_20260112)');
    expect(JSON.stringify(up.lip().logs.filter((l) => l.status === 400).at(-1))).to.include('LIP_ERR_REQUEST_UNSUPPORTED');
    expect(chat().requests).to.have.length(0);
  });

  describe('a conversation compacted on Anthropic, continued on another provider', () => {
    const compacted: BetaMessageParam[] = [
      ...EARLIER,
      { role: 'assistant', content: [BLOCK, ANSWER] as BetaContentBlockParam[] },
      { role: 'user', content: 'And subtract()?' },
    ];

    it('an openai-chat upstream reads the summary as the first user message, in place of the turns the block replaced', async () => {
      chat().enqueue({ text: 'subtract() is fine.' });
      const message = await up.anthropic().beta.messages.create({ model: 'oc:gpt-5.4-mini', max_tokens: 1024, system: 'You fix code.', messages: compacted });
      expect(plain(message.content)).to.deep.equal([{ type: 'text', text: 'subtract() is fine.' }]);
      expect(chat().requests[0]!.body.messages).to.deep.equal([
        { role: 'system', content: 'You fix code.' },
        { role: 'user', content: `${COMPACTION_PREAMBLE}\n\n${SUMMARY}` },
        { role: 'assistant', content: ANSWER.text },
        { role: 'user', content: 'And subtract()?' },
      ]);
    });

    it('a gemini upstream does too, streamed', async () => {
      gemini().enqueue({ text: 'subtract() is fine.' });
      const message = await up.anthropic().beta.messages.stream({ model: 'gem:gemini-2.5-flash', max_tokens: 1024, messages: compacted }).finalMessage();
      expect(plain(message.content)).to.deep.equal([{ type: 'text', text: 'subtract() is fine.' }]);
      expect(gemini().requests[0]!.body.contents).to.deep.equal([
        { role: 'user', parts: [{ text: `${COMPACTION_PREAMBLE}\n\n${SUMMARY}` }] },
        { role: 'model', parts: [{ text: ANSWER.text }] },
        { role: 'user', parts: [{ text: 'And subtract()?' }] },
      ]);
    });

    it('a block whose summary is only encrypted is refused by the other provider and served by the anthropic one; with no anthropic candidate it is a 400', async () => {
      const sealed: BetaMessageParam[] = [{ role: 'user', content: [{ type: 'compaction', content: null, encrypted_content: BLOCK.encrypted_content }, { type: 'text', text: 'Go on.' }] as BetaContentBlockParam[] }];
      anthropic().enqueue({ text: 'Going on.' });
      const res = await up.anthropic().beta.messages.create({ model: 'oc:gpt-5.4-mini|an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], messages: sealed }).withResponse();
      expect(res.response.headers.get('x-lip-backend')).to.equal('an:claude-sonnet-4-6');
      expect(anthropic().requests[0]!.body.messages[0].content[0]).to.deep.equal({ type: 'compaction', content: null, encrypted_content: BLOCK.encrypted_content });
      const err = await up.anthropic().beta.messages.create({ model: 'oc:gpt-5.4-mini', max_tokens: 1024, messages: sealed }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      expect((err as Error).message).to.include('no readable summary');
      expect(chat().requests).to.have.length(0);
    });
  });
});
