import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import { inventory } from '../../lib/core/inventory.js';
import { STAGE_IDS } from '../../lib/extensions/stages.js';
import { configFrom } from '../helpers/config.js';

const YAML = [
  'frontends: [{ id: openai-chat }, { id: gemini, enabled: false }]',
  'features:',
  '  - { id: request-tag, order: 7, config: { tags: { team: core } } }',
  'backends:',
  '  - { id: stub, kind: localstub, models: [m] }',
].join('\n');

describe('core/inventory', () => {
  it('lists frontends, backends, features and every stage in order with its occupancy', () => {
    const report = inventory(configFrom(YAML));
    expect(report.frontends).to.deep.equal([{ id: 'openai-chat', enabled: true }, { id: 'gemini', enabled: false }]);
    expect(report.backends).to.deep.equal([{ id: 'stub', kind: 'localstub', enabled: true, models: [{ id: 'm', selector: 'stub:m' }] }]);
    expect(report.features.slice(0, 1)).to.deep.equal([{ id: 'request-tag', enabled: true, order: 7, description: 'Adds configured metadata tags (and optionally the request id and principal) to every call.' }]);
    expect(report.features.slice(1).map((f) => [f.id, f.enabled])).to.deep.equal([['tool-call-repair', true], ['reasoning-output-preservation', true]]); // on by default
    expect(report.available_features).to.include('request-tag');
    expect(report.stages.map((s) => s.id)).to.deep.equal([...STAGE_IDS]);
    const submit = report.stages.find((s) => s.id === 'submit_request')!;
    expect(submit).to.deep.equal({
      id: 'submit_request', role: 'mutate/reject', default_failure_mode: 'fail_closed',
      hooks: [{ feature: 'request-tag', hook: 'stamp-metadata', list: 'submitHooks', order: 7, failure_mode: 'fail_open' }],
    });
    expect(report.stages.find((s) => s.id === 'attempt_lifecycle')!.hooks).to.equal('core');
    expect(report.stages.filter((s) => Array.isArray(s.hooks) && s.hooks.length > 0).map((s) => s.id)).to.deep.equal(['submit_request', 'candidate_attempt_transform', 'stream_event_mutation', 'tool_event_reaction', 'final_stream_observation']); // the default features' hooks
  });

  it('`lip inventory --json` prints the same report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-inv-'));
    try {
      const path = join(dir, 'lip.yaml');
      writeFileSync(path, YAML);
      let out = '';
      const code = await main(['inventory', '--json', '--config', path], { out: (t) => { out += t; }, err: () => undefined }, {});
      expect(code).to.equal(0);
      expect(JSON.parse(out)).to.deep.equal(JSON.parse(JSON.stringify(inventory(configFrom(YAML)))));
      let text = '';
      await main(['inventory', '--config', path], { out: (t) => { text += t; }, err: () => undefined }, {});
      expect(text).to.contain('features: request-tag').and.contain('  submit_request: request-tag/stamp-metadata');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
