import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/** Claude Code's `metadata.user_id`: a JSON object of its device, account and session ids (186 characters here). */
const CLAUDE_CODE_USER = JSON.stringify({
  device_id: 'a'.repeat(64), account_uuid: '3f2b8c1e-0000-4000-8000-000000000001', session_id: '9d1c2b3a-0000-4000-8000-000000000002',
});
const OTHER_USER = CLAUDE_CODE_USER.replace('0001', '0009');

/**
 * Claude Code names its user in `metadata.user_id` as a JSON object of 150 characters and more,
 * which lip sent to OpenAI-family upstreams as it was, as `user` (`safety_identifier` on an Open
 * Responses server); OpenAI refuses an end-user id over 64 characters ("Invalid 'user': string
 * too long", `string_above_max_length`), so every Claude Code request routed to openai-chat or
 * openai-responses failed. The emulators now refuse it as OpenAI does, and lip sends a long id as
 * its digest: 64 characters, the same on every request of that user, another for another user.
 */
describe('e2e: regression: Claude Code\'s long metadata.user_id reaches OpenAI upstreams as an id they take', function () {
  this.timeout(30_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' }, os: { kind: 'custom-openresponses' } });
  const ask = (model: string, userId: string, stream = false) => up.anthropic().messages.create({
    model, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], metadata: { user_id: userId }, stream,
  } as never);

  it('the OpenAI emulators refuse a user over 64 characters with OpenAI\'s own error', async () => {
    for (const [row, path, body] of [
      ['oc', '/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }], user: CLAUDE_CODE_USER }],
      ['or', '/responses', { model: 'm', input: 'hi', user: CLAUDE_CODE_USER }],
      ['or', '/responses', { model: 'm', input: 'hi', safety_identifier: 'x'.repeat(65) }],
    ] as const) {
      const res = await fetch(`${up.emulators[row]!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k-0123456789' }, body: JSON.stringify(body) });
      expect(res.status).to.equal(400);
      const field = 'user' in body ? 'user' : 'safety_identifier';
      const length = 'user' in body ? CLAUDE_CODE_USER.length : 65;
      expect(await res.json()).to.deep.equal({
        error: {
          message: `Invalid '${field}': string too long. Expected a string with maximum length 64, but got a string with length ${length} instead.`,
          type: 'invalid_request_error', param: field, code: 'string_above_max_length',
        },
      });
    }
  });

  for (const [row, kind, field] of [['oc', 'openai-chat', 'user'], ['or', 'openai-responses', 'user'], ['os', 'Open Responses', 'safety_identifier']] as const) {
    it(`${kind}: answers, with ${field} a digest of at most 64 characters, the same on every request of one user`, async () => {
      up.emulators[row]!.handler = () => ({ text: 'Hello.' });
      const answer = (await ask(`${row}:m`, CLAUDE_CODE_USER)) as Json;
      expect(answer.content.map((b: Json) => b.text)).to.deep.equal(['Hello.']);
      const events: Json[] = [];
      for await (const event of (await ask(`${row}:m`, CLAUDE_CODE_USER, true)) as unknown as AsyncIterable<Json>) events.push(event);
      expect(events.at(-1)?.type).to.equal('message_stop');
      await ask(`${row}:m`, OTHER_USER);
      const [first, second, other] = up.emulators[row]!.requests.map((r) => (r.body as Json)[field] as string);
      expect(first).to.be.a('string').and.match(/^[0-9a-f]{64}$/);
      expect(second).to.equal(first);
      expect(other).to.have.length(64).and.not.equal(first);
    });
  }

  it('an end-user id that fits goes as it is', async () => {
    up.emulators.oc!.handler = () => ({ text: 'Hello.' });
    up.emulators.or!.handler = () => ({ text: 'Hello.' });
    const fits = `user_${'b'.repeat(59)}`;
    await ask('oc:m', fits);
    await ask('or:m', fits);
    expect(up.emulators.oc!.requests[0]!.body.user).to.equal(fits);
    expect(up.emulators.or!.requests[0]!.body.user).to.equal(fits);
  });
});
