import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import type { Script } from '../helpers/emulators/index.js';
import { useUpstreams } from '../helpers/upstreams.js';

const OPENAI_REFUSAL: Script = {
  status: 400,
  error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130021 tokens. Please reduce the length of the messages.", type: 'invalid_request_error', code: 'context_length_exceeded' },
};
const ANTHROPIC_REFUSAL: Script = { status: 400, error: { message: 'prompt is too long: 210000 tokens > 200000 maximum', type: 'invalid_request_error' } };
const ROWS = { small: { kind: 'openai-chat' }, large: { kind: 'openai-chat' }, claude: { kind: 'anthropic' } } as const;
const messages = [{ role: 'user' as const, content: 'A very long conversation.' }];

/**
 * A request too long for a model's context window: every client gets its own protocol's
 * context-window error (OpenAI's `context_length_exceeded`, Anthropic's "prompt is too long"), on
 * which agents compact their conversation. A 4xx is not retried (CONTRACT section 7), unless
 * `routing.context_overflow: next` sends it to the next candidate (a larger window).
 */
describe('e2e: a prompt too long for a model\'s context window', () => {
  describe('by default (routing.context_overflow: fail)', () => {
    const up = useUpstreams(ROWS);

    it('the OpenAI client gets 400 context_length_exceeded with the provider\'s words; the next candidate is not tried', async () => {
      up.emulators.small!.enqueue(OPENAI_REFUSAL);
      const err = await up.openai().chat.completions.create({ model: 'small:gpt-4o-mini|large:gpt-4.1', messages }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      const e = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect([e.status, e.code, e.type]).to.deep.equal([400, 'context_length_exceeded', 'invalid_request_error']);
      expect(e.message).to.contain('maximum context length is 128000 tokens');
      expect(up.emulators.large!.requests).to.have.length(0);
    });

    it('an Anthropic client gets invalid_request_error "prompt is too long" (what Claude Code compacts on)', async () => {
      up.emulators.claude!.enqueue(ANTHROPIC_REFUSAL);
      const err = await up.anthropic().messages.create({ model: 'claude:claude-sonnet-4-6', max_tokens: 100, messages }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      const e = err as InstanceType<typeof Anthropic.BadRequestError>;
      expect((e.error as { error: { type: string } }).error.type).to.equal('invalid_request_error');
      expect(e.message).to.contain('prompt is too long');
    });
  });

  describe('with routing.context_overflow: next', () => {
    const up = useUpstreams(ROWS, 'routing: { context_overflow: next }');

    for (const stream of [false, true]) {
      it(`fails over to the next candidate (${stream ? 'streamed' : 'whole'})`, async () => {
        up.emulators.small!.enqueue(OPENAI_REFUSAL);
        up.emulators.large!.enqueue({ text: 'Served by the larger window.' });
        const openai = up.openai();
        const model = 'small:gpt-4o-mini|large:gpt-4.1';
        let text = '';
        if (stream) {
          for await (const chunk of await openai.chat.completions.create({ model, messages, stream: true })) text += chunk.choices[0]?.delta?.content ?? '';
        } else {
          text = (await openai.chat.completions.create({ model, messages })).choices[0]!.message.content ?? '';
        }
        expect(text).to.equal('Served by the larger window.');
        expect([up.emulators.small!.requests.length, up.emulators.large!.requests.length]).to.deep.equal([1, 1]);
      });
    }

    it('every candidate too small: 400 context_length_exceeded naming each refusal (not a 502)', async () => {
      up.emulators.small!.enqueue(OPENAI_REFUSAL);
      up.emulators.large!.enqueue(OPENAI_REFUSAL);
      const err = await up.openai().responses.create({ model: 'small:gpt-4o-mini|large:gpt-4.1', input: 'A very long conversation.' }).then(() => undefined, (e: unknown) => e);
      const e = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect([e.status, e.code]).to.deep.equal([400, 'context_length_exceeded']);
      expect(e.message).to.match(/the prompt is too long for the context window of every candidate \(small:gpt-4o-mini: .*; large:gpt-4\.1: /);
    });

    it('an Anthropic client whose candidates all refused gets "prompt is too long" too', async () => {
      up.emulators.claude!.enqueue(ANTHROPIC_REFUSAL, ANTHROPIC_REFUSAL);
      const err = await up.anthropic().messages.create({ model: 'claude:claude-sonnet-4-6|claude:claude-opus-4-6', max_tokens: 100, messages }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      expect((err as Error).message).to.contain('prompt is too long');
      expect(up.emulators.claude!.requests).to.have.length(2);
    });
  });
});

/**
 * A request lip itself finds too long for every candidate (`[max_context]`, the window the model
 * catalog knows) is refused before any upstream call, and each client reads it as its provider's
 * own context-window refusal, with the estimate over the largest window: an agent compacts on it
 * as on the upstream's (Claude Code on Anthropic's "prompt is too long: N tokens > M maximum").
 */
describe('e2e: a prompt lip finds too long for every candidate\'s known window', () => {
  const SNAPSHOT = new URL('../../testdata/model-catalog/models-dev.json', import.meta.url).pathname;
  const up = useUpstreams({ oc: { kind: 'openai-chat', extra: 'models: [tiny, m]' }, claude: { kind: 'anthropic' } }, [
    `model_catalog: { enabled: true, path: "${SNAPSHOT}", overrides: [{ backend: oc, model: tiny, context: 50 }] }`,
  ].join('\n'));
  const long = 'lorem ipsum dolor sit amet '.repeat(100);
  const ROUTE = '[max_context=20]oc:m|oc:tiny';

  it('an Anthropic client gets 400 invalid_request_error "prompt is too long: N tokens > M maximum"', async () => {
    const err = await up.anthropic().messages.create({ model: ROUTE, max_tokens: 100, messages: [{ role: 'user', content: long }] }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    const { type, message } = ((err as InstanceType<typeof Anthropic.BadRequestError>).error as { error: { type: string; message: string } }).error;
    expect(type).to.equal('invalid_request_error');
    const [, tokens] = /^prompt is too long: (\d+) tokens > 50 maximum \(the request does not fit the context limits of any candidate \(oc:m: skipped \(context: about \d+ tokens > max_context 20\); oc:tiny: skipped/.exec(message) ?? [];
    expect(Number(tokens)).to.be.greaterThan(50);
    expect(up.emulators.oc!.requests).to.have.length(0);
  });

  it('a Gemini client gets 400 INVALID_ARGUMENT "The input token count (N) exceeds the maximum number of tokens allowed (M)."', async () => {
    const res = await fetch(`${up.lip().url}/v1beta/models/${encodeURIComponent(ROUTE)}:generateContent`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: long }] }] }),
    });
    const { error } = await res.json() as { error: { code: number; status: string; message: string; details: { reason?: string }[] } };
    expect([res.status, error.code, error.status]).to.deep.equal([400, 400, 'INVALID_ARGUMENT']);
    expect(error.message).to.match(/^The input token count \(\d+\) exceeds the maximum number of tokens allowed \(50\)\. \(the request does not fit/);
    expect(error.details[0]!.reason).to.equal('LIP_ERR_ROUTE_CONTEXT_EXCEEDED');
  });

  for (const api of ['chat', 'responses'] as const) {
    it(`an OpenAI client (${api}) gets 400 context_length_exceeded in OpenAI's words`, async () => {
      const openai = up.openai();
      const err = await (api === 'chat'
        ? openai.chat.completions.create({ model: ROUTE, messages: [{ role: 'user', content: long }] })
        : openai.responses.create({ model: ROUTE, input: long })).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      const e = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect([e.status, e.code, e.type]).to.deep.equal([400, 'context_length_exceeded', 'invalid_request_error']);
      expect(e.message).to.match(/^400 This model's maximum context length is 50 tokens\. However, your messages resulted in \d+ tokens\. Please reduce the length of the messages\. \(the request does not fit/);
    });
  }

  it('a request too short for every candidate\'s min_context is no context overflow: 400 with lip\'s code and words', async () => {
    const err = await up.openai().chat.completions.create({ model: '[min_context=100000]oc:m', messages: [{ role: 'user', content: 'hi' }] }).then(() => undefined, (e: unknown) => e);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect([e.status, e.code]).to.deep.equal([400, 'LIP_ERR_ROUTE_CONTEXT_EXCEEDED']);
    expect(e.message).to.match(/^400 the request does not fit the context limits of any candidate \(oc:m: skipped \(context: about \d+ tokens <= min_context 100000\)\)$/);
  });
});
