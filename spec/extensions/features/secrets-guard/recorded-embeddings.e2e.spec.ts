import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { replayExchange } from '../../../../lib/replay/replay-exchange.js';
import { configFrom, testConfigYaml } from '../../../helpers/config.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';
import { eventually, RecordLines } from '../../../replay/recording-helpers.js';

/** A configured detector's match: the recording's own redaction does not know its shape, so only secrets-guard can hide it. */
const SECRET = 'EMP-204861395127';

/**
 * An embeddings request is recorded from its body and its attempts' calls, which the traffic
 * plane does not observe: with secrets-guard on they go through the traffic redactors all the
 * same, so the recording holds no credential from the client's input (in mode log, where the
 * upstream gets the text as sent, as in mode redact), and the record still replays as served.
 */
describe('e2e: secrets-guard redacts a recorded embeddings request', function () {
  this.timeout(30_000);
  for (const mode of ['log', 'redact']) {
    describe(`mode ${mode}`, () => {
      let dir: string;
      let file: string;
      let yaml: string;
      let lip: RunningLip;
      before(async () => {
        dir = mkdtempSync(join(tmpdir(), 'lip-sg-embed-rec-'));
        file = join(dir, 'traffic.jsonl');
        yaml = testConfigYaml('  - { id: ls, kind: localstub, models: [m] }', [
          'routing: { default_route: "ls:m" }',
          `recording: { enabled: true, path: "${file}" }`,
          'features:',
          `  - { id: secrets-guard, config: { mode: ${mode}, patterns: [{ id: employee_id, regex: "EMP-[0-9]{12}" }] } }`,
        ].join('\n'));
        lip = await startLip(configFrom(yaml));
      });
      after(async () => {
        await lip?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it('the body and the attempt\'s call are recorded redacted; the record replays as same', async () => {
        const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
        const res = await openai.embeddings.create({ model: 'ls:m', input: [`my id is ${SECRET}`, 'plain'], encoding_format: 'float' }).withResponse();
        expect(res.data.data).to.have.length(2);
        const id = res.response.headers.get('x-request-id')!;
        const [record] = await eventually(() => new RecordLines(file).of(id), (r) => r.length > 0);
        expect(readFileSync(file, 'utf8')).to.not.contain(SECRET);
        expect(record!.request.body).to.deep.include({ input: ['my id is [REDACTED:employee_id]', 'plain'] });
        expect(record!.attempts).to.have.length(1);
        expect((record!.attempts[0]!.call as { readonly inputs: readonly string[] }).inputs).to.deep.equal(['my id is [REDACTED:employee_id]', 'plain']);
        expect(await replayExchange(record!, configFrom(yaml))).to.deep.include({ state: 'same', served: { recorded: 'ls:m', replayed: 'ls:m' } });
      });
    });
  }
});
