import { expect } from 'chai';
import { literalPattern, modelEntries } from '../../lib/server/handle-list-models.js';
import { testConfig } from '../helpers/config.js';
import { createRuntime } from '../../lib/core/runtime.js';

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
        { id: 'a:m1', ownedBy: 'a' }, { id: 'a:m2', ownedBy: 'a' }, { id: 'b:stub-default', ownedBy: 'b' },
        { id: 'fast', ownedBy: 'lip' }, { id: 'claude-3.5', ownedBy: 'lip' },
      ]);
    } finally {
      await runtime.close();
    }
  });

  it('reads a plain name out of an alias pattern, and nothing out of a real regular expression', () => {
    expect(['^gpt-4o$', 'gpt-4o', '^claude-3\\.5$', '^meta/llama-3:8b$'].map(literalPattern)).to.deep.equal(['gpt-4o', 'gpt-4o', 'claude-3.5', 'meta/llama-3:8b']);
    expect(['^gpt.*$', '^(a|b)$', 'x.y', '^[ab]$', ''].map(literalPattern)).to.deep.equal([undefined, undefined, undefined, undefined, undefined]);
  });
});
