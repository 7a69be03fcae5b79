import { expect } from 'chai';
import { blockedBy, refToolPolicy } from '../../../../lib/extensions/features/ref-tool-policy/index.js';
import { hookContext, memoryLogger, userCall } from '../../fixtures.js';

describe('ref-tool-policy: the rule and its three layers', () => {
  const bundle = refToolPolicy.create({ order: 45, block_names: ['rm', ''], block_prefixes: ['danger_', ''] }, { featureId: 'ref-tool-policy', logger: memoryLogger(), state: undefined as never });

  it('blocks exact names and prefixes; empty entries match nothing, an empty name is never blocked', () => {
    const blocked = blockedBy({ block_names: ['rm', ''], block_prefixes: ['danger_', ''] });
    expect(['rm', 'danger_x', 'rmdir', 'safe', ''].map(blocked)).to.deep.equal([true, true, false, false, false]);
  });

  it('filter, policy and reactor apply the same rule', async () => {
    const call = userCall('hi', { tools: [{ name: 'safe', parameters: {} }, { name: 'danger_zap', parameters: {} }] });
    const filtered = await bundle.toolCatalogFilters![0]!.run(call, hookContext());
    expect((filtered as typeof call).tools.map((t) => t.name)).to.deep.equal(['safe']);
    const noBlocked = userCall('hi', { tools: [{ name: 'safe', parameters: {} }] });
    expect(await bundle.toolCatalogFilters![0]!.run(noBlocked, hookContext())).to.equal(noBlocked);
    const tool = (name: string) => ({ id: 'c', name, args: '{}' });
    expect(bundle.toolPolicies![0]!.decide(tool('rm'), hookContext())).to.equal('deny');
    expect(bundle.toolPolicies![0]!.failureMode).to.equal('fail_closed');
    expect(bundle.toolReactors![0]!.react(tool('danger_1'), hookContext())).to.deep.equal({ action: 'swallow' });
    expect(bundle.toolReactors![0]!.react(tool('safe'), hookContext())).to.deep.equal({ action: 'pass' });
  });
});
