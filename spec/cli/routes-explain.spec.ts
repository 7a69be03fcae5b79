import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLip } from '../helpers/spawn-lip.js';

/** `lip routes --explain`, run as users run it (the compiled CLI; `npm run build` first). */
describe('cli: lip routes --explain (spawned)', function () {
  this.timeout(30_000);

  const dir = mkdtempSync(join(tmpdir(), 'lip-explain-'));
  const config = join(dir, 'lip.yaml');
  writeFileSync(config, [
    'routing:',
    '  default_route: "main"',
    'model_aliases:',
    '  - { pattern: "^fast$", replacement: "[handicap=300ms]a:m1!b:m2" }',
    '  - { pattern: "^main$", replacement: "b:m2|a:m1" }',
    '  - { pattern: "^bad-(.*)$", replacement: "a:m1!${1}" }', // valid as configured, not for every capture
    'backends:',
    '  - { id: a, kind: localstub }',
    '  - { id: b, kind: localstub }',
    '',
  ].join('\n'));
  const leg = (backend: string, model: string, extra: Record<string, unknown> = {}) => ({
    backend, model, candidate_key: `${backend}:${model}`, handicap_ms: null, ttft_timeout_ms: null, max_context: null, min_context: null, params: {}, ...extra,
  });

  it('prints the plan as JSON after the aliases (the contract example) and exits 0', async () => {
    const res = await runLip(['routes', '--config', config, '--explain', 'fast', '--json']);
    expect([res.code, res.stderr]).to.deep.equal([0, '']);
    expect(JSON.parse(res.stdout)).to.deep.equal({
      selector: 'fast', resolved: '[handicap=300ms]a:m1!b:m2',
      global: { ttft_timeout_ms: null, affinity: null },
      arms: [{ type: 'race', legs: [leg('a', 'm1', { handicap_ms: 300 }), leg('b', 'm2', { handicap_ms: 0 })] }],
    });
  });

  it('gives model-only leaves the first backend of the (aliased) default route', async () => {
    const res = await runLip(['--config', config, 'routes', '--json', '--explain', '{affinity=client}[weight=2]gpt-x?temperature=0.3^a:m1']);
    expect(res.code).to.equal(0);
    expect(JSON.parse(res.stdout)).to.deep.equal({
      selector: '{affinity=client}[weight=2]gpt-x?temperature=0.3^a:m1', resolved: '{affinity=client}[weight=2]gpt-x?temperature=0.3^a:m1',
      global: { ttft_timeout_ms: null, affinity: 'client' },
      arms: [{ type: 'weighted', branches: [
        { ...leg('b', 'gpt-x', { candidate_key: 'b:gpt-x?temperature=0.3', params: { temperature: 0.3 } }), weight: 2, first: false },
        { ...leg('a', 'm1'), weight: 1, first: false },
      ] }],
    });
  });

  it('prints {"error": {message, column}} for an invalid selector and exits 1', async () => {
    const res = await runLip(['routes', '--config', config, '--json', '--explain', 'a:m1 | [handicap=1]b:m2']);
    expect(res.code).to.equal(1);
    expect(JSON.parse(res.stdout)).to.deep.equal({ error: { message: 'invalid route selector at column 9: handicap applies only to race legs ("!")', column: 9 } });
    const aliased = await runLip(['routes', '--config', config, '--json', '--explain', 'bad-!b:m2']);
    expect(aliased.code).to.equal(1);
    expect(JSON.parse(aliased.stdout).error.column).to.equal(6);
  });

  it('prints a readable tree, and the error with a caret on stderr', async () => {
    const ok = await runLip(['routes', '--config', config, '--explain', 'a:m1?reasoning_effort=high | fast']);
    expect(ok.code).to.equal(0);
    expect(ok.stdout).to.equal([
      'selector  a:m1?reasoning_effort=high | fast',
      'global    ttft_timeout none, affinity none',
      'arm 1 of 2: single leaf',
      '  leaf      a:m1?reasoning_effort=high   overrides reasoning_effort=high',
      'arm 2 of 2 (if arm 1 fails before output): single leaf',
      '  leaf      b:fast   model-only: default backend',
      '',
    ].join('\n'));
    const bad = await runLip(['routes', '--config', config, '--explain', 'bad-!b:m2']);
    expect([bad.code, bad.stdout]).to.deep.equal([1, '']);
    expect(bad.stderr).to.contain('invalid route selector at column 6: empty race leg between "!" and "!"\n  a:m1!!b:m2\n       ^\n');
  });

  it('marks a race leg past routing.max_attempts (default 3) as never starting', async () => {
    const res = await runLip(['routes', '--config', config, '--explain', 'a:t400!a:t401!a:t402!a:ok']);
    expect(res.code).to.equal(0);
    expect(res.stdout).to.contain('  leg 3     a:t402   starts at 0ms\n  leg 4     a:ok   never starts: the legs that start before it spend routing.max_attempts (3)\n');
  });

  it('warns on stderr about backends that are not configured, but still explains', async () => {
    const res = await runLip(['routes', '--config', config, '--explain', 'zz:m!a:m1']);
    expect(res.code).to.equal(0);
    expect(res.stdout).to.contain('  leg 1     zz:m   starts at 0ms');
    expect(res.stderr).to.equal('warning: no enabled backend "zz" is configured; requests routed to it fail with LIP_ERR_ROUTE_UNKNOWN_BACKEND\n');
  });

  // Found by probing the command line: `--explain ""` exited 1 (an invalid selector), where
  // docs/cli.md makes an option given an empty value a usage error (exit 2) like any other.
  it('works on the embedded default config; an empty or blank --explain is a usage error (exit 2)', async () => {
    const res = await runLip(['routes', '--explain', 'gpt-4o-mini', '--json']);
    expect(res.code).to.equal(0);
    expect(JSON.parse(res.stdout).arms[0].branches[0].candidate_key).to.equal('stub:gpt-4o-mini');
    for (const argv of [['--explain', ''], ['--explain', ' '], ['--explain='], ['--explain', 'fast', '--explain', '']]) {
      const empty = await runLip(['routes', ...argv, '--json']);
      expect([empty.code, empty.stdout], argv.join(' ')).to.deep.equal([2, '']);
      expect(empty.stderr, argv.join(' ')).to.contain('lip: --explain needs a value');
    }
    // A selector that is there but does not parse is still exit 1 with its column.
    const bad = await runLip(['routes', '--explain', 'a:m1|', '--json']);
    expect(bad.code).to.equal(1);
    expect(JSON.parse(bad.stdout)).to.have.nested.property('error.column');
  });
});
