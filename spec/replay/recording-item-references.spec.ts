import { expect } from 'chai';
import OpenAI from 'openai';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { eventually, readRecords, useChatRecording } from './recording-helpers.js';

/**
 * A Responses turn that names stored items by id (`item_reference`) is recorded with the items in
 * place, the body lip decoded: a replay has no continuity store, and replays it as `same`.
 */
describe('recording: Responses item references are recorded resolved (serve -> file -> replay)', function () {
  this.timeout(30_000);
  const suite = useChatRecording('lip-rec-item-refs-');

  it('holds the named items instead of the references, and replays as same', async () => {
    const { oc, lip, file, config } = suite();
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    oc.enqueue({ text: 'Paris.' });
    const first = await openai.responses.create({ model: 'oc:gpt-4o', input: 'Capital of France?' });
    const question = (await openai.responses.inputItems.list(first.id)).data[0]!;
    oc.enqueue({ text: 'About 2.1 million.' });
    const input = [{ type: 'item_reference', id: question.id }, { type: 'item_reference', id: first.output[0]!.id! }, { role: 'user', content: 'And its population?' }] as ResponseInputItem[];
    const second = await openai.responses.stream({ model: 'oc:gpt-4o', input }).finalResponse();
    expect(second.output_text).to.equal('About 2.1 million.');

    const records = await eventually(() => readRecords(file), (r) => r.length >= 2);
    const referring = records.find((r) => JSON.stringify(r.request.body).includes('And its population?'))!;
    const recorded = (referring.request.body as { input: Record<string, unknown>[] }).input;
    expect(recorded.map((item) => item.type ?? item.role)).to.deep.equal(['message', 'message', 'user']);
    expect(recorded[0]).to.deep.include({ id: question.id, role: 'user' });
    expect(recorded[1]).to.deep.include({ id: first.output[0]!.id, role: 'assistant' });
    expect(JSON.stringify(recorded)).to.not.contain('item_reference');
    for (const record of records) {
      const result = await replayExchange(record, config);
      expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
    }
  });
});
