import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { eventually, readRecords, useChatRecording } from './recording-helpers.js';

/**
 * A Gemini request naming a cached content is recorded with the cached content in its place (its
 * name and cached fields), so that a replay, which has no store to look it up in, decodes the
 * same call and answers `same`; what the upstream got, cached part first, is in the attempt.
 */
describe('recording: a request naming a Gemini cached content records it resolved (serve -> file -> replay)', function () {
  this.timeout(30_000);
  const suite = useChatRecording('lip-rec-cached-contents-');

  it('holds the cached contents in the recorded request and replays as same', async () => {
    const { oc, lip, file, config } = suite();
    const google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    const cache = await google.caches.create({ model: 'oc:gpt-4o', config: { systemInstruction: 'Use the notes.', contents: [{ role: 'user', parts: [{ text: 'Notes: the key is under the mat.' }] }] } });
    oc.enqueue({ text: 'Under the mat.' });
    const res = await google.models.generateContent({ model: 'oc:gpt-4o', contents: 'Where is the key?', config: { cachedContent: cache.name! } });
    expect(res.text).to.equal('Under the mat.');

    const [record] = await eventually(() => readRecords(file), (r) => r.length >= 1);
    const body = record!.request.body as { cachedContent: { name: string; contents: unknown[]; systemInstruction: unknown } };
    expect(body.cachedContent.name).to.equal(cache.name);
    expect(JSON.stringify(body.cachedContent.contents)).to.contain('under the mat');
    expect(JSON.stringify(record!.attempts[0]!.call)).to.contain('Use the notes.');
    const result = await replayExchange(record!, config);
    expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
  });
});
