import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { RecordLines, eventually, useChatRecording } from './recording-helpers.js';

/**
 * Regression: a bare value after a secret's name (`"password": 12345678`, `"token": null`) was
 * masked as the string `"***"`. A body lip had refused for it (`metadata` values must be
 * strings) then validated in the record, so `lip replay` with the same config routed it and
 * reported `unrecorded`, though redaction promises the same shape. A number is now masked with a
 * number (0), and null, true and false, which hold no secret, stay as they are: the record is
 * refused again, `same`.
 */
describe('regression: a bare secret number or null in a recorded body', function () {
  this.timeout(30_000);
  const suite = useChatRecording('lip-rec-secret-numbers-', 'routing: { default_route: "oc:m" }');
  let lines: RecordLines;
  before(() => { lines = new RecordLines(suite().file); });

  for (const [id, metadata, recorded] of [
    ['number', '{"password": 12345678}', { password: 0 }],
    ['negative-fraction', '{"pin":"1","api_key":-12.5e3}', { pin: '1', api_key: 0 }],
    ['null', '{"token":null}', { token: null }],
  ] as const) {
    it(`keeps its JSON type, so the record is refused again and replays as same (${id})`, async () => {
      const res = await fetch(`${suite().lip.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `secret-${id}` },
        body: `{"model": "oc:m", "messages": [{"role": "user", "content": "hi"}], "metadata": ${metadata}}`,
      });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('LIP_ERR_REQUEST_INVALID');
      const record = (await eventually(() => lines.of(`secret-${id}`), (r) => r.length > 0))[0]!;
      expect((record.request.body as { metadata: unknown }).metadata).to.deep.equal(recorded);
      const result = await replayExchange(record, suite().config);
      expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
    });
  }

  it('writes none of the numbers', () => {
    expect(readFileSync(suite().file, 'utf8')).to.not.include('12345678').and.not.include('12.5e3');
  });
});
