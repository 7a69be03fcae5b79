import { expect } from 'chai';
import type { Script } from '../helpers/emulators/index.js';
import { useUpstreams } from '../helpers/upstreams.js';

const SCRIPT: Script = {
  searches: [{ query: 'a', results: [{ url: 'https://a.example', title: 'A' }] }, { query: 'b', error: 'max_uses_exceeded' }, { query: 'c' }],
  text: 'Done.',
  usage: { input: 1000, output: 100 },
};

/**
 * Providers bill hosted web searches apart from tokens. Each search an upstream ran (a failed one
 * does not count) is counted in `lip_web_searches_total`, and priced by a `pricing:` row's
 * `web_search` price per thousand into the attempt's cost (`lip_cost_total`).
 */
describe('e2e: hosted web searches counted and priced', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' } }, [
    'observability: { metrics: { enabled: true } }',
    'pricing: [{ backend: an, input: 3, output: 15, web_search: 10 }]',
  ].join('\n'));

  it('two searches that ran are counted and cost 10 per thousand on top of the tokens', async () => {
    up.emulators.an!.enqueue(SCRIPT);
    await up.anthropic().messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'q' }] });
    const text = await (await fetch(`${up.lip().url}/metrics`)).text();
    expect(text).to.match(/^lip_web_searches_total\{backend="an",model="claude-sonnet-4-6"\} 2$/m);
    // 1000 * 3 + 100 * 15 = 4500 per million, plus 2 searches * 10 / 1000
    const cost = Number(/^lip_cost_total\{backend="an",model="claude-sonnet-4-6"\} ([\d.e-]+)$/m.exec(text)?.[1]);
    expect(cost).to.be.closeTo(0.0045 + 0.02, 1e-9);
  });
});
