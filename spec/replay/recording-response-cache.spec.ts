import { expect } from 'chai';
import OpenAI from 'openai';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { eventually, readRecords, useChatRecording } from './recording-helpers.js';

/**
 * An answer the response cache gave is recorded as the client got it (`x-lip-cache: hit` in its
 * headers, no attempt), and a replay gives it again from the recording, no backend involved:
 * both exchanges, the miss and the hit, replay as `same`, under the recorded config and under
 * one without the cache.
 */
describe('recording: an answer from the response cache (serve -> file -> replay)', function () {
  this.timeout(30_000);
  const suite = useChatRecording('lip-rec-response-cache-', 'cache: { enabled: true }');

  it('records the hit without attempts and replays both exchanges as same', async () => {
    const { oc, lip, file, config } = suite();
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    oc.enqueue({ text: 'Paris.', usage: { input: 5, output: 2 } });
    const ask = () => openai.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Capital of France?' }] }).withResponse();
    const first = await ask();
    const second = await ask();
    expect([first.response.headers.get('x-lip-cache'), second.response.headers.get('x-lip-cache')]).to.deep.equal(['miss', 'hit']);
    expect(second.data.choices[0]!.message.content).to.equal('Paris.');
    expect(oc.requests).to.have.length(1);

    const records = await eventually(() => readRecords(file), (r) => r.length >= 2);
    const hit = records.find((r) => r.client.headers['x-lip-cache'] === 'hit')!;
    expect(hit.attempts).to.deep.equal([]);
    expect(hit.served).to.equal('oc:gpt-4o');
    for (const record of records) {
      const result = await replayExchange(record, config);
      expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
    }
    const without = await replayExchange(hit, { ...config, cache: { ...config.cache, enabled: false } });
    expect(without.state).to.equal('same');
  });
});
