import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preRequestPolicy, type JudgeHandlerConfig } from '../../../../lib/extensions/features/pre-request-policy/index.js';
import { configFrom, configIssues } from '../../../helpers/config.js';
import { memoryLogger } from '../../fixtures.js';

describe('pre-request-policy: configuration', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-prp-')); writeFileSync(join(dir, 'p.md'), 'judge'); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const handler = (over: Partial<JudgeHandlerConfig> = {}): JudgeHandlerConfig => ({
    id: 'h', priority: 100, prompt_filename: 'p.md', model_routing_string: 'up:judge', policy: 'deny_on_pattern', deny_pattern: 'DENY', deny_message: 'no', timeout: 1000, ...over,
  });
  const build = (...handlers: JudgeHandlerConfig[]) => preRequestPolicy.create({ prompt_dir: dir, handlers }, { featureId: 'pre-request-policy', logger: memoryLogger(), state: undefined as never });

  it('builds one fail-closed admission hook per handler, ordered by priority', () => {
    const bundle = build(handler({ id: 'a', priority: 7 }), handler({ id: 'b', policy: 'allow_on_pattern', allow_pattern: 'OK' }));
    expect(bundle.preRequest!.map((h) => [h.id, h.order, h.failureMode])).to.deep.equal([['a', 7, 'fail_closed'], ['b', 100, 'fail_closed']]);
  });

  it('refuses a missing pattern, an unsafe pattern, a missing prompt file and duplicate ids', () => {
    expect(() => build(handler({ deny_pattern: undefined }))).to.throw(/needs deny_pattern/);
    expect(() => build(handler({ policy: 'allow_on_pattern' }))).to.throw(/needs allow_pattern/);
    expect(() => build(handler({ deny_pattern: '(a+)+' }))).to.throw(/catastrophically/);
    expect(() => build(handler({ prompt_filename: 'none.md' }))).to.throw(/cannot read prompt file/);
    expect(() => build(handler(), handler())).to.throw(/duplicate handler id/);
  });

  it('prompt_filename must be a plain file name (checked when the config loads); timeout takes units', () => {
    const yaml = (name: string) => `features:\n  - { id: pre-request-policy, config: { prompt_dir: ${JSON.stringify(dir)}, handlers: [{ id: h, prompt_filename: ${JSON.stringify(name)}, model_routing_string: "up:j", deny_pattern: D, timeout: 2s }] } }\nbackends:\n  - { id: up, kind: localstub }\n`;
    for (const bad of ['../etc/passwd', 'sub/p.md', '..', '.']) expect(() => configFrom(yaml(bad)), bad).to.throw(/prompt_filename/);
    const config = configFrom(yaml('p.md'));
    expect((config.features[0]!.config.handlers as { timeout: number }[])[0]!.timeout).to.equal(2000);
  });

  it('a prompt file that cannot be read is a problem of the config, reported when it loads (check-config says what serve refuses)', () => {
    const yaml = (promptDir: string, name: string) => `features:\n  - { id: pre-request-policy, config: { prompt_dir: ${JSON.stringify(promptDir)}, handlers: [{ id: h, prompt_filename: ${name}, model_routing_string: "up:j", deny_pattern: D }] } }\nbackends:\n  - { id: up, kind: localstub }\n`;
    expect(configIssues(yaml(dir, 'none.md'))).to.deep.equal([`features[0].config.handlers[0].prompt_filename: cannot read prompt file ${join(dir, 'none.md')}: ENOENT`]);
    expect(configIssues(yaml(join(dir, 'absent'), 'p.md'))).to.deep.equal([`features[0].config.handlers[0].prompt_filename: cannot read prompt file ${join(dir, 'absent', 'p.md')}: ENOENT`]);
    expect(configIssues(yaml(dir, 'p.md'))).to.deep.equal([]);
    expect(configIssues(yaml(dir, 'none.md').replace('{ id: pre-request-policy,', '{ id: pre-request-policy, enabled: false,'))).to.deep.equal([]);
  });

  it('a handler timeout must be more than 0 and at most 24h (a longer timer fires at once: every request was denied)', () => {
    const yaml = (timeout: string) => `features:\n  - { id: pre-request-policy, config: { prompt_dir: ${JSON.stringify(dir)}, handlers: [{ id: h, prompt_filename: p.md, model_routing_string: "up:j", deny_pattern: D, timeout: ${timeout} }] } }\nbackends:\n  - { id: up, kind: localstub }\n`;
    expect(configIssues(yaml('0s'))).to.deep.equal(['features[0].config.handlers[0].timeout: must be more than 0']);
    expect(configIssues(yaml('0ms'))).to.deep.equal(['features[0].config.handlers[0].timeout: must be more than 0']);
    expect(configIssues(yaml('600h'))).to.deep.equal(['features[0].config.handlers[0].timeout: must be at most 24h (got 600h)']);
    expect(configIssues(yaml('25h'))).to.deep.equal(['features[0].config.handlers[0].timeout: must be at most 24h (got 25h)']);
    expect(configIssues(yaml('24h'))).to.deep.equal([]);
    expect(() => build(handler({ timeout: 0 }))).to.throw('handlers[0].timeout: must be more than 0');
  });
});
