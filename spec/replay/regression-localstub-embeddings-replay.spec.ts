import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { RecordLines, replayFile } from './recording-helpers.js';

/**
 * Regression (found by probing replay): an embeddings request a localstub backend answered
 * replayed as `route-changed` (served `ls:m` -> none, LIP_ERR_EMBEDDINGS_UNSUPPORTED) even under
 * the config it was recorded with. localstub embeds, but its kind did not say so, and a replay
 * gives its stand-in for a backend an embeddings call only when the backend's kind embeds.
 */
describe('replay: embeddings a localstub backend answered', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  let dir: string;
  let file: string;
  let lines: RecordLines;
  const yaml = () => testConfigYaml('  - { id: ls, kind: localstub, models: [m] }', [
    'routing: { default_route: "ls:m" }',
    `recording: { enabled: true, path: "${file}" }`,
  ].join('\n'));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-ls-embed-'));
    file = join(dir, 'traffic.jsonl');
    lines = new RecordLines(file);
    lip = await startLip(configFrom(yaml()));
  });
  after(async () => {
    await lip?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an OpenAI embeddings request replays as same under its own config', async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const res = await openai.embeddings.create({ model: 'ls:m', input: ['alpha', 'beta'], encoding_format: 'float' }).withResponse();
    expect(res.data.data).to.have.length(2);
    const id = res.response.headers.get('x-request-id')!;
    await until(() => lines.of(id).length > 0, `the record of ${id}`);
    const record = lines.of(id)[0]!;
    expect(record.served).to.equal('ls:m');
    expect(await replayExchange(record, configFrom(yaml()))).to.deep.include({ state: 'same', served: { recorded: 'ls:m', replayed: 'ls:m' } });
  });

  it('a Gemini embedContent replays as same under its own config', async () => {
    const google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    const res = await google.models.embedContent({ model: 'ls:m', contents: 'one text', config: { outputDimensionality: 4 } });
    expect(res.embeddings![0]!.values).to.have.length(4);
    await until(() => lines.all().some((r) => r.frontend === 'gemini'), 'the gemini record');
    const record = lines.all().find((r) => r.frontend === 'gemini')!;
    expect(record.served).to.equal('ls:m');
    expect(await replayExchange(record, configFrom(yaml()))).to.deep.include({ state: 'same', served: { recorded: 'ls:m', replayed: 'ls:m' } });
  });

  it('lip replay over the file: every exchange same', async () => {
    const { code, report } = await replayFile(file, yaml());
    expect(report.exchanges.map((e) => [e.state, e.error ?? null])).to.deep.equal([['same', null], ['same', null]]);
    expect(code).to.equal(0);
  });
});
