import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffdb004300', 'hex').toString('base64');

/**
 * A Chat client's `data:` URL media type reached Anthropic and Gemini as written: `image/jpg`
 * (not a registered type), `image/JPEG`, `image/jpeg;name=a.jpg` (a parameter in the type), which
 * Anthropic refuses; a data URL that is not base64 (`data:image/svg+xml,%3Csvg...`) went as a URL
 * source, and an image type Anthropic cannot read (HEIC) went on to be refused upstream. Now the
 * type is normalised (no parameters, lower case, `image/jpg` as `image/jpeg`), a percent-encoded
 * data URL is decoded to base64, and Anthropic gets a 400 naming an image type it cannot read
 * before anything is sent, as Bedrock does.
 */
describe('e2e: regression: data: URL media types are normalised, and Anthropic refuses image types it cannot read', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, gem: { kind: 'gemini' } });
  const ask = (model: string, url: string) => up.openai().chat.completions.create({
    model, messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url } }] }],
  });

  for (const written of ['image/jpg', 'image/JPEG', 'image/jpeg;name=a.jpg']) {
    it(`data:${written} reaches anthropic and gemini as image/jpeg`, async () => {
      up.emulators.an!.enqueue({ text: 'ok' });
      await ask('an:claude-sonnet-4-6', `data:${written};base64,${JPEG}`);
      expect((up.emulators.an!.requests.at(-1)!.body as Json).messages[0].content[1].source).to.deep.equal({ type: 'base64', media_type: 'image/jpeg', data: JPEG });
      up.emulators.gem!.enqueue({ text: 'ok' });
      await ask('gem:gemini-2.5-flash', `data:${written};base64,${JPEG}`);
      expect((up.emulators.gem!.requests.at(-1)!.body as Json).contents[0].parts[1]).to.deep.equal({ inlineData: { mimeType: 'image/jpeg', data: JPEG } });
    });
  }

  it('a percent-encoded data URL goes inline, as base64 of its bytes', async () => {
    up.emulators.gem!.enqueue({ text: 'ok' });
    await ask('gem:gemini-2.5-flash', 'data:image/svg+xml,%3Csvg%3E%3C/svg%3E');
    expect((up.emulators.gem!.requests.at(-1)!.body as Json).contents[0].parts[1]).to.deep.equal({ inlineData: { mimeType: 'image/svg+xml', data: Buffer.from('<svg></svg>').toString('base64') } });
  });

  it('an image type Anthropic cannot read is a 400 naming it, before any upstream call', async () => {
    for (const url of [`data:image/heic;base64,${JPEG}`, 'data:image/svg+xml,%3Csvg%3E%3C/svg%3E']) {
      const err = await ask('an:claude-sonnet-4-6', url).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.APIError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).to.equal(400);
      expect((err as InstanceType<typeof OpenAI.APIError>).message).to.match(/anthropic takes png, jpeg, gif and webp images, not image\/(heic|svg\+xml)/);
    }
    expect(up.emulators.an!.requests).to.have.length(0);
  });
});
