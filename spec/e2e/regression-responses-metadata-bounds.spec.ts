import { expect } from 'chai';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const pairs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

/**
 * A regression (a probe's find): `POST /v1/responses` took `metadata` beyond OpenAI's bounds (16
 * pairs, 64-character keys, 512-character values): accepted, stored, echoed and forwarded to an
 * OpenAI upstream, which refuses it, while `/v1/conversations` refused the same metadata. Now a
 * create is the 400 OpenAI answers, naming the field, before any upstream call, by whatever
 * backend it would go to; what is within the bounds goes as before. A resume token carried in
 * `metadata.lip_resume_token` is taken out first and does not count.
 */
describe('e2e: Responses metadata has OpenAI\'s bounds', function () {
  this.timeout(30_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' }, oc: { kind: 'openai-chat' } });

  for (const [label, metadata, param] of [
    ['17 pairs', pairs(17), 'metadata'],
    ['a 65-character key', { ['k'.repeat(65)]: 'v' }, `metadata.${'k'.repeat(64)}`],
    ['a 513-character value', { k: 'v'.repeat(513) }, 'metadata.k'],
  ] as const) {
    it(`${label}: a 400 naming ${param.slice(0, 12)}…, streamed or not, on either backend; nothing reaches the upstream`, async () => {
      for (const model of ['or:gpt-5', 'oc:gpt-4o']) {
        for (const stream of [false, true]) {
          const err = await rejection(up.openai().responses.create({ model, input: 'x', metadata, stream }));
          expect([err.status, (err.error as Json).param, (err.error as Json).type]).to.deep.equal([400, param, 'invalid_request_error']);
        }
        expect((await rejection(up.openai().responses.inputTokens.count({ model, input: 'x', metadata } as never))).status).to.equal(400);
      }
      expect([up.emulators.or!.requests.length, up.emulators.oc!.requests.length]).to.deep.equal([0, 0]);
    });
  }

  it('within them it is stored, echoed and forwarded as sent; a resume token in it does not count', async () => {
    up.emulators.or!.enqueue({ text: 'ok' });
    const metadata = { ...pairs(15), ['k'.repeat(64)]: 'v'.repeat(512) };
    const made = await up.openai().responses.create({ model: 'or:gpt-5', input: 'x', metadata: { ...metadata, lip_resume_token: '' } });
    expect(made.metadata).to.deep.equal(metadata);
    expect((await up.openai().responses.retrieve(made.id)).metadata).to.deep.equal(metadata);
    expect(up.emulators.or!.requests[0]!.body.metadata).to.deep.equal(metadata);
  });
});
