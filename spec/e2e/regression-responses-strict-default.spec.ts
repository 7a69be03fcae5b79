import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

const CLOSED = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const OPEN = { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] };

/**
 * The Responses API and Chat Completions read a function tool's `strict` left out differently:
 * Responses makes the tool strict where its schema allows (and falls back to best effort where it
 * does not), Chat leaves it non-strict. A Responses client that left `strict` out got
 * `strict: false` upstream on the openai-responses backend, turning the API's default off. Now
 * the tool goes without `strict`, so the API applies its own default; an explicit `true` or
 * `false` goes as before, and a Chat client's tool without `strict` still goes `strict: false`
 * (Chat's default, which the Responses API would otherwise read as its own).
 */
describe('e2e: regression: a Responses client\'s function tool without strict keeps the Responses API\'s default', function () {
  this.timeout(20_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' } });
  const sentTools = () => up.emulators.or!.requests[0]!.body.tools;

  it('a tool without strict goes without strict; explicit true and false go as written', async () => {
    up.emulators.or!.enqueue({ text: 'ok' });
    await up.openai().responses.create({
      model: 'or:gpt-4o', input: 'Weather?',
      tools: [
        { type: 'function', name: 'omitted', parameters: CLOSED } as never,
        { type: 'function', name: 'omitted_open', parameters: OPEN } as never,
        { type: 'function', name: 'nulled', parameters: CLOSED, strict: null } as never,
        { type: 'function', name: 'on', parameters: CLOSED, strict: true },
        { type: 'function', name: 'off', parameters: CLOSED, strict: false },
      ],
    });
    expect(sentTools().map((t: any) => [t.name, 'strict' in t ? t.strict : 'absent'])).to.deep.equal([
      ['omitted', 'absent'], ['omitted_open', 'absent'], ['nulled', 'absent'], ['on', true], ['off', false],
    ]);
  });

  it('a Chat client\'s function without strict still goes strict: false (Chat\'s default)', async () => {
    up.emulators.or!.enqueue({ text: 'ok' });
    await up.openai().chat.completions.create({ model: 'or:gpt-4o', messages: [{ role: 'user', content: 'Weather?' }], tools: [{ type: 'function', function: { name: 'w', parameters: CLOSED } }] });
    expect(sentTools()[0].strict).to.equal(false);
  });
});
