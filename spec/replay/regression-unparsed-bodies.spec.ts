import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { RecordLines, eventually, useChatRecording } from './recording-helpers.js';

/**
 * Regression: a request whose body was no JSON lip takes was recorded with `body: null`, so its
 * replay decoded null and reported `output-changed` (LIP_ERR_REQUEST_INVALID where the client had
 * got LIP_ERR_REQUEST_INVALID_JSON): `lip replay` of a recording with one malformed request said
 * the same build differed. The record now keeps such a body's text (redacted as the rest), which
 * the replay parses again; a body that was not read whole is marked: refused again when its
 * declared length is over the replay's limit, else `unrecorded`.
 */
describe('regression: recorded requests whose body lip could not take', function () {
  this.timeout(30_000);
  const SECRET = 'PROJECT-OSPREY-2291';
  const suite = useChatRecording('lip-rec-unparsed-', [
    'routing: { default_route: "oc:m" }',
    'server: { host: 127.0.0.1, port: 0, max_request_body_bytes: 4096 }',
  ].join('\n'), [SECRET]);
  let lines: RecordLines;
  before(() => { lines = new RecordLines(suite().file); });

  const post = async (path: string, body: string, requestId: string) => {
    const res = await fetch(`${suite().lip.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId }, body });
    return { status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code };
  };
  const recordOf = async (requestId: string) => (await eventually(() => lines.of(requestId), (r) => r.length > 0))[0]!;

  it('malformed JSON (a generation, an embeddings request) and JSON nested too deep replay as same', async () => {
    const cases: [string, string, string, string][] = [
      ['bad-chat', '/v1/chat/completions', `{"model": "oc:m", "messages": [{"role": "user", "content": "${SECRET}"}`, 'LIP_ERR_REQUEST_INVALID_JSON'],
      ['bad-embed', '/v1/embeddings', '{"model": "oc:m", "input": ["a", }', 'LIP_ERR_REQUEST_INVALID_JSON'],
      ['deep-chat', '/v1/chat/completions', `${'['.repeat(200)}${']'.repeat(200)}`, 'LIP_ERR_REQUEST_LIMIT_EXCEEDED'],
    ];
    for (const [id, path, body, code] of cases) {
      expect(await post(path, body, id), id).to.deep.equal({ status: 400, code });
      const record = await recordOf(id);
      expect(record.request.body, id).to.equal(null);
      expect(record.request.body_text, id).to.equal(body.replace(SECRET, '[REDACTED]'));
      expect(record.client.error, id).to.deep.equal({ code });
      const result = await replayExchange(record, suite().config);
      expect(result.state, `${id}: ${JSON.stringify(result)}`).to.equal('same');
    }
    expect(readFileSync(suite().file, 'utf8')).not.to.contain(SECRET);
  });

  it('a body whose bytes are not UTF-8 keeps them (one character per byte, secrets redacted) and replays as same', async () => {
    const bytes = Buffer.concat([Buffer.from(`{"model": "oc:m", "messages": [{"role": "user", "content": "${SECRET} caf`), Buffer.from([0xe9]), Buffer.from('"}]}')]);
    const res = await fetch(`${suite().lip.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'latin1-chat' }, body: bytes });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).to.match(/not UTF-8: byte 0xE9 at line 1, column 84 \(byte 83\)/);
    const record = await recordOf('latin1-chat');
    expect(record.request).to.deep.include({ body: null, body_bytes: bytes.toString('latin1').replace(SECRET, '[REDACTED]') });
    expect(record.request.body_text).to.equal(undefined);
    expect(record.client.error).to.deep.equal({ code: 'LIP_ERR_REQUEST_INVALID_JSON' });
    expect(await replayExchange(record, suite().config)).to.deep.include({ state: 'same' });
    expect(readFileSync(suite().file, 'utf8')).not.to.contain(SECRET);
  });

  it('a body too large to read is marked unread: refused again by its declared length (same), unrecorded under a larger limit', async () => {
    expect(await post('/v1/chat/completions', JSON.stringify({ model: 'oc:m', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }), 'big-chat')).to.deep.equal({ status: 413, code: 'LIP_ERR_REQUEST_TOO_LARGE' });
    const record = await recordOf('big-chat');
    expect(record.request).to.deep.include({ body: null, body_unread: true });
    expect(record.request.body_text).to.equal(undefined);
    expect(await replayExchange(record, suite().config)).to.deep.include({ state: 'same', served: { recorded: null, replayed: null } });
    // What-if: a limit the body fits in; it would be read now, and the recording does not have it.
    const larger = { ...suite().config, server: { ...suite().config.server, max_request_body_bytes: 1_000_000 } };
    expect(await replayExchange(record, larger)).to.deep.include({ state: 'unrecorded', unrecorded: ['(the request\'s body was not read whole)'] });
  });
});
