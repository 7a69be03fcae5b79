import Anthropic from '@anthropic-ai/sdk';
import { ApiError } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

const seven = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

/**
 * Gemini takes at most 5 stop sequences (`generationConfig.stopSequences`); lip sent any number,
 * to be refused upstream after a route had been chosen. The gemini backend now refuses more than
 * 5 before sending, a 400 naming the clients' stop sequence fields, and a route moves on to a
 * candidate that takes them.
 */
describe('e2e regression: more stop sequences than Gemini takes', function () {
  this.timeout(20_000);
  const up = useUpstreams({ ge: { kind: 'gemini' }, an: { kind: 'anthropic' } });

  it('an Anthropic client\'s 7 stop_sequences to Gemini: a 400 from lip, nothing sent', async () => {
    const err = await up.anthropic().messages.create({ model: 'ge:gemini-2.5-flash', max_tokens: 100, stop_sequences: seven, messages: [{ role: 'user', content: 'hi' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).to.include('stop_sequences').and.to.include('gemini takes at most 5, the request has 7');
    expect(up.emulators.ge!.requests).to.have.length(0);
  });

  it('a Chat client\'s 6 stop to Gemini: a 400 naming stop', async () => {
    const err = await up.openai().chat.completions.create({ model: 'ge:gemini-2.5-flash', stop: seven.slice(0, 6), messages: [{ role: 'user', content: 'hi' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).to.match(/\bstop\b/).and.to.include('the request has 6');
    expect(up.emulators.ge!.requests).to.have.length(0);
  });

  it('a Gemini client\'s 7 stopSequences: a 400 naming generationConfig.stopSequences', async () => {
    const err = await up.google().models.generateContent({ model: 'ge:gemini-2.5-flash', contents: 'hi', config: { stopSequences: seven } }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).status).to.equal(400);
    expect((err as Error).message).to.include('generationConfig.stopSequences');
    expect(up.emulators.ge!.requests).to.have.length(0);
  });

  it('5 go to Gemini as they are; 7 move on to a candidate that takes them', async () => {
    up.emulators.ge!.enqueue({ text: 'from gemini' });
    await up.anthropic().messages.create({ model: 'ge:gemini-2.5-flash', max_tokens: 100, stop_sequences: seven.slice(0, 5), messages: [{ role: 'user', content: 'hi' }] });
    expect(up.emulators.ge!.requests[0]!.body.generationConfig.stopSequences).to.deep.equal(seven.slice(0, 5));
    up.emulators.an!.enqueue({ text: 'from claude' });
    const answer = await up.anthropic().messages.create({ model: 'ge:gemini-2.5-flash|an:claude-sonnet-4-6', max_tokens: 100, stop_sequences: seven, messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.content[0]).to.include({ type: 'text', text: 'from claude' });
    expect(up.emulators.ge!.requests).to.have.length(1);
    expect(up.emulators.an!.requests[0]!.body.stop_sequences).to.deep.equal(seven);
  });
});
