import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preRequestPolicy } from '../../../lib/extensions/features/pre-request-policy/index.js';
import { secretsGuard } from '../../../lib/extensions/features/secrets-guard/index.js';
import { memoryLogger } from '../fixtures.js';

/** The message a factory throws for `config`, or '' when it builds. */
function refusal(build: () => unknown): string {
  try {
    build();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

/**
 * Found by probing: a configured regex that does not compile (`regex: "("`, a group left open)
 * was refused as one that "could backtrack catastrophically": the shape check ran first and
 * took the unbalanced group for a risky one. The regex is now compiled first, so a syntax
 * error is named as what it is (secrets-guard patterns and pre-request-policy handlers alike).
 */
describe('features regression: a regex that does not compile is named as a syntax error', () => {
  const services = { featureId: 'f', logger: memoryLogger(), state: undefined as never };
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-pattern-')); writeFileSync(join(dir, 'p.md'), 'judge'); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('secrets-guard: regex "(" is an unterminated group, not a catastrophic one', () => {
    const config = { mode: 'redact', builtin: true, patterns: [{ id: 'p', regex: '(' }], replacement: 'x', block_message: 'no', order: 50 } as const;
    const message = refusal(() => secretsGuard.create(config, services));
    expect(message).to.match(/Invalid regular expression: .*Unterminated group/);
    expect(message).to.not.match(/catastrophically/);
  });

  it('pre-request-policy: deny_pattern "(" is an unterminated group, not a catastrophic one', () => {
    const handler = { id: 'h', priority: 100, prompt_filename: 'p.md', model_routing_string: 'up:judge', policy: 'deny_on_pattern', deny_pattern: '(', deny_message: 'no', timeout: 1000 } as const;
    const message = refusal(() => preRequestPolicy.create({ prompt_dir: dir, handlers: [handler] }, services));
    expect(message).to.match(/Invalid regular expression: .*Unterminated group/);
    expect(message).to.not.match(/catastrophically/);
  });

  it('a risky shape that compiles is still refused as such', () => {
    const config = { mode: 'redact', builtin: true, patterns: [{ id: 'p', regex: '(a+)+$' }], replacement: 'x', block_message: 'no', order: 50 } as const;
    expect(refusal(() => secretsGuard.create(config, services))).to.match(/catastrophically/);
  });
});
