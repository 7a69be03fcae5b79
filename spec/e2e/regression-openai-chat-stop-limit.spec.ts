import { expect } from 'chai';
import OpenAI from 'openai';
import { configIssues } from '../helpers/config.js';
import { useUpstreams } from '../helpers/upstreams.js';

/**
 * api.openai.com takes at most 4 stop sequences and refuses more with a 400 that is not
 * retryable, and lip sent a Chat client's 5 to an openai-chat backend as given: a route never
 * moved on to a candidate that takes them (Gemini's limit, 5, was already refused before
 * sending). An openai-chat row now has `max_stop_sequences` (4 by default at api.openai.com,
 * unset elsewhere: vLLM and most compatible servers take more); more than it are a retryable 400
 * before anything is sent. The emulated upstream refuses more than 4 as OpenAI does, and its row
 * is configured like OpenAI's.
 */
describe('e2e regression: more stop sequences than an openai-chat backend takes are refused before sending', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat', extra: 'max_stop_sequences: 4' }, an: { kind: 'anthropic' } });
  const stop = ['a', 'b', 'c', 'd', 'e'];
  const messages = [{ role: 'user' as const, content: 'hi' }];

  it('a route moves on to a candidate that takes them; nothing reaches the openai-chat upstream', async () => {
    up.emulators.an!.enqueue({ text: 'from anthropic' });
    const answer = await up.openai().chat.completions.create({ model: 'oc:gpt-4o|an:claude', messages, stop });
    expect(answer.choices[0]!.message.content).to.equal('from anthropic');
    expect(up.emulators.oc!.requests).to.have.length(0);
    expect(up.emulators.an!.requests[0]!.body.stop_sequences).to.deep.equal(stop);
  });

  it('alone, the openai-chat backend answers a 400 naming the limit; 4 go upstream', async () => {
    const err = await up.openai().chat.completions.create({ model: 'oc:gpt-4o', messages, stop }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).to.include('takes at most 4, the request has 5');
    expect(up.emulators.oc!.requests).to.have.length(0);
    up.emulators.oc!.enqueue({ text: 'ok' });
    await up.openai().chat.completions.create({ model: 'oc:gpt-4o', messages, stop: stop.slice(0, 4) });
    expect(up.emulators.oc!.requests[0]!.body.stop).to.deep.equal(stop.slice(0, 4));
  });

  it('max_stop_sequences is an integer of at least 1', () => {
    const row = (value: string) => `backends:\n  - { id: a, kind: vllm, max_stop_sequences: ${value} }\n`;
    expect(configIssues(row('0'))).to.have.length(1);
    expect(configIssues(row('2.5'))).to.have.length(1);
    expect(configIssues(row('16'))).to.deep.equal([]);
  });
});
