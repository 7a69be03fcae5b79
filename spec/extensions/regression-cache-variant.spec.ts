import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import type { ExecutionMeta } from '../../lib/core/execute.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { userCall } from './fixtures.js';
import { bundles, featureRuntime, ok, useTestFeatures } from './test-feature.js';

/**
 * Found by probing the extension plugins: the response cache's key is the call after the request
 * stages, but per-attempt hooks (request parts: codex-client-compat) shape each attempt's call
 * afterwards from the client's user agent and the call's metadata, and the features' settings
 * shape answers too. A client of one agent was served an answer made under another agent's
 * instructions, and a reload that changed a feature's settings kept serving the answers made before.
 */
describe('regression: the response cache keys what per-attempt hooks and the features\' settings decide', () => {
  useTestFeatures();
  const runtimes: Runtime[] = [];
  afterEach(async () => { for (const r of runtimes.splice(0)) await r.close(); });
  const make = (featureRow: string, cacheOf?: Runtime) => {
    const made = featureRuntime({ main: ok('answer') }, featureRow, 'cache: { enabled: true }', cacheOf?.cache ? { cache: cacheOf.cache } : {});
    runtimes.push(made.runtime);
    return made;
  };
  const ask = async (runtime: Runtime, o: { userAgent?: string; metadata?: Record<string, string> } = {}) => {
    const meta: ExecutionMeta = {};
    await lastValueFrom(runtime.executor.execute(userCall('same question', { model: 's:main', ...(o.metadata ? { metadata: o.metadata } : {}) }), {
      requestId: 'r', meta, principal: 'local', ...(o.userAgent !== undefined ? { userAgent: o.userAgent } : {}),
    }).pipe(toArray()));
    return meta.cache;
  };

  it('with a per-attempt hook that reads them, another user agent or other metadata (of the keys it names) is another answer', async () => {
    bundles['test-hooks'] = () => ({
      requestParts: [{ id: 'by-agent', reads: { userAgent: true, metadata: ['agent'] }, shape: (call, _target, ctx) => ({ ...call, system: [{ type: 'text', text: `harness for ${ctx.userAgent ?? 'none'} ${call.metadata['agent'] ?? ''}` }] }) }],
    });
    const { runtime, backend } = make('  - { id: test-hooks }');
    expect(await ask(runtime, { userAgent: 'opencode/1.0.0' })).to.equal('miss');
    expect(await ask(runtime, { userAgent: 'opencode/1.0.0' })).to.equal('hit');
    expect(await ask(runtime, { userAgent: 'my-app/1.0' })).to.equal('miss');
    expect(await ask(runtime, { userAgent: 'my-app/1.0', metadata: { agent: 'codex' } })).to.equal('miss');
    expect(backend.calls.map((c) => (c.call.system[0] as { text: string }).text)).to.deep.equal(['harness for opencode/1.0.0 ', 'harness for my-app/1.0 ', 'harness for my-app/1.0 codex']);
  });

  it('without one, the user agent and metadata do not count (the key stays the call\'s)', async () => {
    bundles['test-hooks'] = () => ({ requestParts: [{ id: 'same', shape: (call) => call }] });
    const { runtime, backend } = make('  - { id: test-hooks }');
    expect(await ask(runtime, { userAgent: 'a' })).to.equal('miss');
    expect(await ask(runtime, { userAgent: 'b', metadata: { trace: 'x' } })).to.equal('hit');
    expect(backend.calls).to.have.length(1);
  });

  it('a runtime whose features are set otherwise (a reload) does not take the answers kept before', async () => {
    bundles['test-hooks'] = () => ({});
    const before = make('  - { id: test-hooks, config: { prefix: "A:" } }');
    expect(await ask(before.runtime)).to.equal('miss');
    const same = make('  - { id: test-hooks, config: { prefix: "A:" } }', before.runtime);
    expect(await ask(same.runtime)).to.equal('hit');
    const changed = make('  - { id: test-hooks, config: { prefix: "B:" } }', before.runtime);
    expect(await ask(changed.runtime)).to.equal('miss');
  });
});
