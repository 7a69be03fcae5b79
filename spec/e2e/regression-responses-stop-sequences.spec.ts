import Anthropic from '@anthropic-ai/sdk';
import { ApiError } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

/**
 * The Responses API has no stop parameter, and lip sent a call's stop sequences (a Gemini
 * client's `generationConfig.stopSequences`, a Chat client's `stop`, an Anthropic client's
 * `stop_sequences`) to an openai-responses backend without them: the answer ran on past where the
 * client asked it to stop, 200 `STOP`, nothing said. The openai-responses backend (and the Open
 * Responses profile, and openai-codex, which share the encoder) now refuses such a call before
 * sending, a retryable 400 naming the clients' stop fields, so a route moves on to a candidate
 * that takes them; a token count, which they do not change, still goes upstream.
 */
describe('e2e regression: stop sequences to a Responses backend are refused, not dropped', function () {
  this.timeout(20_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' }, op: { kind: 'custom-openresponses' }, oc: { kind: 'openai-chat' } });

  it('a Gemini client\'s stopSequences to openai-responses: a 400 naming generationConfig.stopSequences, nothing sent', async () => {
    const err = await up.google().models.generateContent({ model: 'or:gpt-5', contents: 'q', config: { stopSequences: ['\n'] } }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).status).to.equal(400);
    expect((err as Error).message).to.include('generationConfig.stopSequences').and.to.include('openai-responses has none');
    expect(up.emulators.or!.requests).to.have.length(0);
  });

  it('a Chat client\'s stop and an Anthropic client\'s stop_sequences: a 400 naming them, to either Responses profile', async () => {
    const chat = await up.openai().chat.completions.create({ model: 'or:gpt-5', stop: ['END'], messages: [{ role: 'user', content: 'hi' }] }).then(() => undefined, (e: unknown) => e);
    expect(chat).to.be.instanceOf(OpenAI.BadRequestError);
    expect((chat as Error).message).to.match(/\bstop\b/);
    const anthropic = await up.anthropic().messages.create({ model: 'op:m', max_tokens: 100, stop_sequences: ['END'], messages: [{ role: 'user', content: 'hi' }] }).then(() => undefined, (e: unknown) => e);
    expect(anthropic).to.be.instanceOf(Anthropic.BadRequestError);
    expect((anthropic as Error).message).to.include('stop_sequences').and.to.include('op has none');
    expect(up.emulators.or!.requests).to.have.length(0);
    expect(up.emulators.op!.requests).to.have.length(0);
  });

  it('a route moves on to a candidate that takes them; without them the Responses backend serves', async () => {
    up.emulators.oc!.enqueue({ text: 'line one' });
    const answer = await up.google().models.generateContent({ model: 'or:gpt-5|oc:gpt-4o', contents: 'q', config: { stopSequences: ['\n'] } });
    expect(answer.text).to.equal('line one');
    expect(up.emulators.or!.requests).to.have.length(0);
    expect(up.emulators.oc!.requests[0]!.body.stop).to.deep.equal(['\n']);
    up.emulators.or!.enqueue({ text: 'from responses' });
    expect((await up.google().models.generateContent({ model: 'or:gpt-5|oc:gpt-4o', contents: 'q' })).text).to.equal('from responses');
  });

  it('a token count with stop sequences is still counted by the Responses backend', async () => {
    up.emulators.or!.enqueue({ usage: { input: 21, output: 0 } });
    const res = await fetch(`${up.lip().url}/v1beta/models/or:gpt-5:countTokens`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
      body: JSON.stringify({ generateContentRequest: { contents: [{ role: 'user', parts: [{ text: 'q' }] }], generationConfig: { stopSequences: ['\n'] } } }),
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-lip-token-count')).to.equal('upstream');
    expect(await res.json()).to.deep.equal({ totalTokens: 21 });
  });
});
