import { expect } from 'chai';
import { chatReasoning, ANTHROPIC_REASONING } from '../../../../lib/backends/reasoning-replay.js';
import { matchTarget, type PreservationRule } from '../../../../lib/extensions/features/reasoning-output-preservation/index.js';
import type { AttemptTarget } from '../../../../lib/extensions/sdk.js';

const chatTarget = (model: string, backendId = 'ds'): AttemptTarget => ({ backendId, model, candidateKey: `${backendId}:${model}`, backendKind: 'openai-chat', reasoning: chatReasoning('reasoning_content') });

describe('reasoning-output-preservation: which candidates it works on', () => {
  it('the built-in catalog: Chat backends serving families that want their reasoning back', () => {
    for (const model of ['deepseek-reasoner', 'deepseek-chat', 'moonshotai/kimi-k2-thinking', 'kimi-k2-0905', 'z-ai/glm-4.6', 'GLM-4.5', 'MiniMax-M2', 'qwen3-235b-a22b-thinking', 'Qwen/Qwen3-Coder', 'XiaomiMiMo/MiMo-7B', 'openai/gpt-oss-120b', 'gpt-oss:20b', 'moonshot-v1-8k']) {
      expect(matchTarget(chatTarget(model), [], true), model).to.equal('builtin');
    }
    for (const model of ['gpt-4o', 'deepseeker', 'kimiko-2', 'qwentest', 'minimaximum', 'llama-3.3-70b', 'mydeepseek']) {
      expect(matchTarget(chatTarget(model), [], true), model).to.equal('none');
    }
    expect(matchTarget(chatTarget('deepseek-chat'), [], false)).to.equal('none');
    expect(matchTarget({ ...chatTarget('deepseek-chat'), reasoning: ANTHROPIC_REASONING }, [], true)).to.equal('none');
    expect(matchTarget({ backendId: 'x', model: 'deepseek-chat', candidateKey: 'x:deepseek-chat' }, [], true)).to.equal('none');
  });

  it('explicit rules come first: by model keyword (disabled before enabled), then by backend, then the catalog', () => {
    const rules: PreservationRule[] = [
      { backend: 'ds', models: ['reasoner'], enabled: false },
      { backend: 'ds', models: ['chat', 'REASON'], enabled: true },
      { backend: 'ds', enabled: true },
      { backend: 'off', enabled: false },
      { backend: 'claude', enabled: true },
    ];
    expect(matchTarget(chatTarget('deepseek-reasoner'), rules, true)).to.equal('rule_model_disabled');
    expect(matchTarget(chatTarget('deepseek-chat'), rules, true)).to.equal('rule_model');
    expect(matchTarget(chatTarget('other-model'), rules, true)).to.equal('rule_backend');
    expect(matchTarget(chatTarget('deepseek-chat', 'off'), rules, true)).to.equal('rule_backend_disabled');
    expect(matchTarget({ backendId: 'claude', model: 'claude-opus-4-6', candidateKey: 'claude:claude-opus-4-6', reasoning: ANTHROPIC_REASONING }, rules, true)).to.equal('rule_backend');
  });

  it('the model catalog\'s interleaved: after the rules, before the built-in catalog (and only on Chat backends)', () => {
    const marked = (model: string, interleaved: boolean) => ({ ...chatTarget(model), catalog: { interleaved } });
    expect(matchTarget(marked('acme-thinker', true), [], true)).to.equal('model_catalog');
    expect(matchTarget(marked('deepseek-chat', false), [], true)).to.equal('none');
    expect(matchTarget({ ...chatTarget('deepseek-chat'), catalog: {} }, [], true)).to.equal('builtin');
    expect(matchTarget({ ...marked('acme-thinker', true), reasoning: ANTHROPIC_REASONING }, [], true)).to.equal('none');
    expect(matchTarget(marked('acme-thinker', true), [{ backend: 'ds', enabled: false }], true)).to.equal('rule_backend_disabled');
    expect(matchTarget(marked('deepseek-chat', false), [{ backend: 'ds', enabled: true }], true)).to.equal('rule_backend');
    // model_catalog: false in the feature's config: the catalog is not read.
    expect(matchTarget(marked('acme-thinker', true), [], true, false)).to.equal('none');
    expect(matchTarget(marked('deepseek-chat', false), [], true, false)).to.equal('builtin');
  });
});
