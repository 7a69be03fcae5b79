import { expect } from 'chai';
import { emptyCall } from '../../lib/canonical/index.js';
import { configIssues } from '../helpers/config.js';
import { backendOf, drain, runtimeFor } from '../helpers/emulators/index.js';
import { KINDS } from './kinds.js';

/**
 * Found by a probe of the presets: a `base_url` with a query (Azure's deployment URL
 * `.../openai/deployments/gpt-4o?api-version=2024-10-21`) had the endpoint path appended to its
 * text, so the request went to `...?api-version=2024-10-21/chat/completions`: the upstream's
 * path lacked `/chat/completions` and its query was mangled. Every kind now appends to the path
 * and keeps the query (lib/backends/http/endpoint-url.ts); a fragment, which no request
 * carries, is refused when the config loads.
 */
describe('regression: a base_url with a query string', function () {
  this.timeout(20_000);
  const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });

  for (const k of KINDS.filter((kind) => kind.row('b', { url: 'http://u' } as never).includes('base_url: "http://u"'))) {
    it(`${k.kind}: the endpoint path goes before the query, which is kept`, async () => {
      const emu = await k.start();
      const runtime = runtimeFor(k.row('b', emu).replace(`base_url: "${emu.url}"`, `base_url: "${emu.url}/?api-version=2024-10-21"`));
      try {
        const { error } = await drain(backendOf(runtime, 'b').stream(call, { model: 'm', candidateKey: 'b:m' }));
        expect(error).to.equal(undefined);
        const backend = backendOf(runtime, 'b');
        if (backend.listModels && k.liveModels !== false) await backend.listModels();
        expect(emu.requests.length).to.be.greaterThan(0);
        expect(emu.requests[0]!.path).to.equal(k.path('m'));
        for (const r of emu.requests) expect(r.query.get('api-version'), `${r.method} ${r.path}`).to.equal('2024-10-21');
      } finally {
        await runtime.close();
        await emu.close();
      }
    });
  }

  it('a base_url with a fragment is refused at load', () => {
    expect(configIssues('backends:\n  - { id: a, kind: openai-chat, base_url: "https://api.example.com/v1#x" }')).to.deep.equal([
      'backends[0].base_url: must be an http:// or https:// URL such as https://api.example.com/v1: it has a fragment (#...), which no request carries (got "https://api.example.com/v1#x")',
    ]);
  });
});
