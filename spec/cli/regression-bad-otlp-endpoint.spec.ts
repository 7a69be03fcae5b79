import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLip, spawnLip } from '../helpers/spawn-lip.js';

const config = (tracing: string) => `server: { host: 127.0.0.1, port: 0, drain_delay: 0s }\nobservability: { tracing: ${tracing} }\nbackends:\n  - { id: s, kind: localstub, models: [m] }\n`;

/**
 * Found by probing: an OTLP endpoint that is not a URL (`OTEL_EXPORTER_OTLP_ENDPOINT="not a
 * url"`) passed `lip check-config`, then `lip serve` died with the exporter's stack trace (exit 1)
 * and a message that named no variable; `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=collector:4318/v1/traces`
 * (no scheme) was taken as a URL of scheme `collector:`, and every span was lost without a word.
 * With tracing on, both commands now refuse either, naming the variable and its value.
 */
describe('regression: an OTLP endpoint that is no http(s) URL (spawned)', function () {
  this.timeout(30_000);
  let dir: string;
  let traced: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-otlp-endpoint-'));
    traced = join(dir, 'traced.yaml');
    writeFileSync(traced, config('{ enabled: true }'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const BAD = [
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" is not an http(s) URL'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318/v1/traces' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "collector:4318/v1/traces" is not an http(s) URL'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://collector:4318" is not an http(s) URL'],
  ] as const;

  for (const [env, message] of BAD) {
    it(`${JSON.stringify(env)}: check-config and serve refuse it (exit 1), naming the variable, no stack`, async () => {
      const check = await runLip(['check-config', '--config', traced], env);
      expect(check.code).to.equal(1);
      expect(check.stdout).to.equal('');
      expect(check.stderr.trim()).to.equal(`lip: ${message}`);
      const serve = spawnLip(['serve', '--config', traced], env);
      expect(await serve.exited).to.equal(1);
      expect(serve.stderr().trim()).to.equal(`lip: ${message}`);
      expect(serve.stdout()).not.to.contain('lip listening');
    });
  }

  it('an endpoint given to no exporter is not checked: tracing off, or the console exporter', async () => {
    const off = join(dir, 'off.yaml');
    writeFileSync(off, config('{ enabled: false }'));
    const console = join(dir, 'console.yaml');
    writeFileSync(console, config('{ enabled: true, exporter: console }'));
    for (const path of [off, console]) {
      const check = await runLip(['check-config', '--config', path], { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' });
      expect([check.code, check.stdout.trim()], path).to.deep.equal([0, 'configuration is valid']);
    }
  });

  it('an http(s) endpoint passes, the traces endpoint before the general one', async () => {
    for (const env of [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318/' }, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }]) {
      const check = await runLip(['check-config', '--config', traced], env);
      expect([check.code, check.stdout.trim()], JSON.stringify(env)).to.deep.equal([0, 'configuration is valid']);
    }
  });
});
