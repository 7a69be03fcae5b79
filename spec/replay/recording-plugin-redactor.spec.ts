import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from '../helpers/config.js';
import { startLip } from '../helpers/lip.js';
import { eventually, readRecords } from './recording-helpers.js';

/**
 * The recorder captures by reference on the request's turn only while no traffic redactor is
 * registered; with one (here ref-traffic-transcript's substring redactor) it is fed the
 * redacted observations like any observer, so a plugin's redaction also reaches the file, and
 * the record is as complete as without it.
 */
describe('recording: a plugin traffic redactor runs before the recorder keeps anything', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-rec-redactor-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const post = (url: string, stream: boolean) => fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'stub:m', stream, messages: [{ role: 'user', content: 'my PLUGIN_SECRET is here' }] }),
  });

  it('records every leg with the plugin redaction applied; live traffic is untouched', async () => {
    const path = join(dir, 'r.jsonl');
    const lip = await startLip(testConfig('  - { id: stub, kind: localstub, models: [m], text: "echo PLUGIN_SECRET back" }',
      `routing: { default_route: "stub:m" }\nrecording: { enabled: true, path: "${path}" }\nfeatures:\n  - { id: ref-traffic-transcript, config: { redact_substrings: [PLUGIN_SECRET] } }`));
    try {
      const answer = await (await post(lip.url, false)).json() as { choices: { message: { content: string } }[] };
      expect(answer.choices[0]!.message.content).to.contain('PLUGIN_SECRET');
      await (await post(lip.url, true)).text();
      const records = await eventually(() => readRecords(path), (r) => r.length === 2);
      expect(readFileSync(path, 'utf8')).to.not.contain('PLUGIN_SECRET');
      for (const record of records) {
        expect(JSON.stringify(record.request.body)).to.contain('my [redacted] is here');
        expect(record.attempts).to.have.length(1);
        expect(record.attempts[0]!.call).to.not.equal(null);
        expect(record.attempts[0]!.role).to.equal('served');
        expect(record.attempts[0]!.events.length).to.be.greaterThan(2);
        expect(record.client.events.length).to.be.greaterThan(2);
        expect(JSON.stringify(record.client.events)).to.contain('[redacted]');
      }
    } finally {
      await lip.close();
    }
  });
});
