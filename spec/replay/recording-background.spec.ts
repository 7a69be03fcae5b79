import { expect } from 'chai';
import OpenAI from 'openai';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { eventually, readRecords, useChatRecording } from './recording-helpers.js';

/**
 * A background response (`background: true`) is recorded when its run ends, with everything it
 * produced (the upstream's events, the client leg's), though its request was answered at once;
 * streamed or not, it replays as `same`.
 */
describe('recording: background responses are recorded whole when they end (serve -> file -> replay)', function () {
  this.timeout(30_000);
  const suite = useChatRecording('lip-rec-background-');

  it('holds the run\'s events (the answer was only the queued object) and replays as same', async () => {
    const { oc, lip, file, config } = suite();
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    oc.enqueue({ text: ['Slow ', 'and ', 'steady.'], dripMs: 20 });
    const created = await openai.responses.create({ model: 'oc:gpt-4o', input: 'A proverb?', background: true });
    expect(created.status).to.equal('queued');
    oc.enqueue({ text: ['Streamed ', 'too.'] });
    for await (const _ of await openai.responses.create({ model: 'oc:gpt-4o', input: 'Another?', background: true, stream: true })) { /* read it all */ }

    const records = await eventually(() => readRecords(file), (r) => r.length >= 2);
    const whole = records.find((r) => JSON.stringify(r.request.body).includes('A proverb?'))!;
    expect((whole.request.body as { background: boolean }).background).to.equal(true);
    const texts = whole.client.events.flatMap(([, e]) => (e.type === 'text_delta' ? [e.text] : []));
    expect(texts.join('')).to.equal('Slow and steady.');
    expect(whole.attempts).to.have.length(1);
    for (const record of records) {
      const result = await replayExchange(record, config);
      expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
    }
  });
});
