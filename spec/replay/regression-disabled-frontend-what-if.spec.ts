import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecording } from '../../lib/replay/read-recording.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { configFrom } from '../helpers/config.js';
import { CORPUS_DIR } from './corpus/record-corpus.js';

/**
 * Regression (found probing what-ifs): a replay decoded every record by its frontend whether or
 * not the replay's config served it, so a what-if that switched off the recorded frontend said
 * `same` (exit 0) while `lip serve` under that config answers 404. Such an exchange is refused
 * now as the server refuses it: `LIP_ERR_HTTP_NOT_FOUND`, before any candidate.
 */

const YAML = readFileSync(join(CORPUS_DIR, 'lip.yaml'), 'utf8');
const corpus = await readRecording(join(CORPUS_DIR, 'corpus.jsonl'));
const NOT_FOUND = { type: 'failed', code: 'LIP_ERR_HTTP_NOT_FOUND' };

const chat = corpus.records.find((r) => r.frontend === 'openai-chat' && r.client.embedding === undefined && r.served === 'up:fast')!;
const embeddings = corpus.records.find((r) => r.frontend === 'openai-chat' && r.client.embedding !== undefined)!;
const gemini = corpus.records.find((r) => r.frontend === 'gemini')!;

describe('replay: a what-if that switches off the recorded frontend', () => {
  const switchedOff = configFrom(`${YAML}frontends: [{ id: openai-chat, enabled: false }, { id: openai-responses }, { id: anthropic }, { id: gemini }]\n`);

  it('refuses a generation of that frontend as the server does: 404, no candidate', async () => {
    expect((await replayExchange(chat, configFrom(YAML))).state).to.equal('same');
    const result = await replayExchange(chat, switchedOff);
    expect(result.state).to.equal('route-changed');
    expect(result.served).to.deep.equal({ recorded: 'up:fast', replayed: null });
    expect(result.difference).to.deep.include({ index: 0, replayed: NOT_FOUND });
  });

  it('a frontend left out of the list is not served either', async () => {
    const result = await replayExchange(chat, configFrom(`${YAML}frontends: [{ id: gemini }]\n`));
    expect(result).to.deep.include({ state: 'route-changed', served: { recorded: 'up:fast', replayed: null } });
  });

  it('refuses an embeddings request of that frontend too', async () => {
    const result = await replayExchange(embeddings, switchedOff);
    expect(result).to.deep.include({ state: 'route-changed', served: { recorded: embeddings.served, replayed: null } });
    expect(result.difference).to.deep.include({ index: 0, replayed: NOT_FOUND });
  });

  it('the frontends still served replay as before', async () => {
    expect((await replayExchange(gemini, switchedOff)).state).to.equal('same');
  });
});
