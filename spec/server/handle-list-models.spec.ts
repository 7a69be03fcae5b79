import { expect } from 'chai';
import { literalPattern, modelEntries } from '../../lib/server/handle-list-models.js';
import { testConfig } from '../helpers/config.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { candidateAllow } from '../../lib/core/candidate-allow.js';
import { configFrom } from '../helpers/config.js';

describe('server/handle-list-models', () => {
  it('lists every enabled backend model as backend:model, then plain-name aliases, without duplicates', async () => {
    const runtime = createRuntime(testConfig(`
  - { id: a, kind: localstub, models: [m1, m2] }
  - { id: b, kind: localstub }
  - { id: off, kind: localstub, enabled: false, models: [x] }`, [
      'routing: { default_route: "a:m1" }',
      'model_aliases:',
      '  - { pattern: "^fast$", replacement: "a:m1" }',
      '  - { pattern: "^gpt-.*$", replacement: "a:m2" }',
      '  - { pattern: "^claude-3\\\\.5$", replacement: "b:x" }',
      '  - { pattern: "a:m1", replacement: "a:m2" }',
    ].join('\n')));
    try {
      expect(modelEntries(runtime)).to.deep.equal([
        { id: 'a:m1', ownedBy: 'a', embeds: true }, { id: 'a:m2', ownedBy: 'a', embeds: true }, { id: 'b:stub-default', ownedBy: 'b', embeds: true },
        { id: 'fast', ownedBy: 'lip', embeds: true }, { id: 'claude-3.5', ownedBy: 'lip', embeds: true },
      ]);
    } finally {
      await runtime.close();
    }
  });

  it('describes an alias by the first candidate of its route the caller\'s key may use, not one it may not', async () => {
    const path = new URL('../../testdata/model-catalog/models-dev.json', import.meta.url).pathname;
    const runtime = createRuntime(configFrom([
      'backends:',
      '  - { id: an, kind: anthropic, api_key: k, models: [claude-sonnet-4-5] }',
      '  - { id: oa, kind: openai-chat, api_key: k, models: [gpt-4o] }',
      `model_catalog: { enabled: true, path: "${path}", backends: { an: anthropic, oa: openai } }`,
      'model_aliases: [{ pattern: "^smart$", replacement: "an:claude-sonnet-4-5|oa:gpt-4o" }]',
    ].join('\n')));
    try {
      const smart = (allow?: Parameters<typeof modelEntries>[1]) => modelEntries(runtime, allow).find((m) => m.id === 'smart');
      const gpt4o = modelEntries(runtime).find((m) => m.id === 'oa:gpt-4o')!.info;
      const claude = modelEntries(runtime).find((m) => m.id === 'an:claude-sonnet-4-5')!.info;
      expect(gpt4o?.inputTokens).to.not.equal(claude?.inputTokens);
      expect(smart()?.info).to.deep.equal(claude);
      // A key that may use only gpt-4o is told what it will be served: gpt-4o's facts.
      expect(smart(candidateAllow({ id: 'k1', key: 'k'.repeat(16), principal: 'k1', allow: ['oa:gpt-4o*'] }))?.info).to.deep.equal(gpt4o);
      expect(smart(candidateAllow({ id: 'k2', key: 'k'.repeat(16), principal: 'k2', allow: ['an'] }))?.info).to.deep.equal(claude);
    } finally {
      await runtime.close();
    }
  });

  it('lists, filters and describes a backend:model an alias rewrites as routing resolves it (after the alias)', async () => {
    const path = new URL('../../testdata/model-catalog/models-dev.json', import.meta.url).pathname;
    const runtime = createRuntime(configFrom([
      'backends:',
      '  - { id: an, kind: anthropic, api_key: k, models: [claude-haiku-4-5] }',
      '  - { id: oa, kind: openai-chat, api_key: k, models: [gpt-4o, legacy] }',
      `model_catalog: { enabled: true, path: "${path}", backends: { an: anthropic, oa: openai } }`,
      'model_aliases: [{ pattern: "^oa:legacy$", replacement: "an:claude-haiku-4-5" }]',
    ].join('\n')));
    try {
      const key = (allow: string[]) => candidateAllow({ id: 'k1', key: 'k'.repeat(16), principal: 'k1', allow });
      const ids = (allow?: Parameters<typeof modelEntries>[1]) => modelEntries(runtime, allow).map((m) => m.id);
      const haiku = modelEntries(runtime).find((m) => m.id === 'an:claude-haiku-4-5')!.info;
      expect(haiku).to.not.equal(undefined);
      expect(modelEntries(runtime).find((m) => m.id === 'oa:legacy')?.info).to.deep.equal(haiku);
      // A key allowed only `oa` is refused `oa:legacy` (it routes to Anthropic): not listed.
      expect(ids(key(['oa']))).to.deep.equal(['oa:gpt-4o']);
      // A key allowed only the alias's target may use `oa:legacy`: listed.
      expect(ids(key(['an:claude-haiku-4-5']))).to.deep.equal(['an:claude-haiku-4-5', 'oa:legacy']);
    } finally {
      await runtime.close();
    }
  });

  it('says which models lip can embed with: a backend with an embeddings call that takes the model; an alias by the candidates the key may use', async () => {
    const runtime = createRuntime(configFrom([
      'backends:',
      '  - { id: an, kind: anthropic, api_key: k, models: [claude-sonnet-4-5] }',
      '  - { id: oa, kind: openai-chat, api_key: k, models: [text-embedding-3-small] }',
      '  - { id: br, kind: bedrock, region: us-east-1, access_key_id: AKIAEXAMPLE, secret_access_key: secret, models: ["amazon.titan-embed-text-v2:0", "anthropic.claude-sonnet-4-20250514-v1:0"] }',
      'model_aliases: [{ pattern: "^mixed$", replacement: "an:claude-sonnet-4-5|oa:text-embedding-3-small" }]',
    ].join('\n')));
    try {
      const embeds = (allow?: Parameters<typeof modelEntries>[1]) => Object.fromEntries(modelEntries(runtime, allow).map((m) => [m.id, m.embeds === true]));
      expect(embeds()).to.deep.equal({
        'an:claude-sonnet-4-5': false, 'oa:text-embedding-3-small': true,
        'br:amazon.titan-embed-text-v2:0': true, 'br:anthropic.claude-sonnet-4-20250514-v1:0': false, mixed: true,
      });
      // A key that may use only Claude gets no embedding from the alias.
      expect(embeds(candidateAllow({ id: 'k1', key: 'k'.repeat(16), principal: 'k1', allow: ['an'] }))).to.deep.equal({ 'an:claude-sonnet-4-5': false, mixed: false });
    } finally {
      await runtime.close();
    }
  });

  it('reads a plain name out of an alias pattern, and nothing out of a real regular expression', () => {
    expect(['^gpt-4o$', 'gpt-4o', '^claude-3\\.5$', '^meta/llama-3:8b$'].map(literalPattern)).to.deep.equal(['gpt-4o', 'gpt-4o', 'claude-3.5', 'meta/llama-3:8b']);
    expect(['^gpt.*$', '^(a|b)$', 'x.y', '^[ab]$', ''].map(literalPattern)).to.deep.equal([undefined, undefined, undefined, undefined, undefined]);
  });
});
