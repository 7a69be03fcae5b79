import { expect } from 'chai';
import { subscribe as listen, unsubscribe as unlisten } from 'node:diagnostics_channel';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AcpLifecycle } from '../../lib/backends/acp/index.js';
import { testConfig } from '../helpers/config.js';
import { FAKE_ACP_AGENT } from '../helpers/fake-acp.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * A client's model became whole arguments and environment values of the agent lip spawns
 * (`args: [--model, "{model}"]`, `env: {AGENT_MODEL: "{model}"}`): `agent:--yolo` started the
 * agent as `--model --yolo`, an option of the client's choosing, and the row's `models` list
 * restricted nothing. Now a model that starts with "-" or holds white space or a control
 * character is a 400 LIP_ERR_REQUEST_INVALID, a model a row with `models` does not list is a 404
 * LIP_ERR_ROUTE_UNKNOWN_MODEL (OpenAI's `model_not_found`, as an HTTP upstream's 404 for a model it
 * does not have), and no agent is started for either.
 */
describe('e2e regression: an acp model never becomes an option of the agent', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'lip-acp-argv-'));
  const argv = join(dir, 'argv.log');
  const agent = join(dir, 'agent.sh');
  const spawned: AcpLifecycle[] = [];
  const onAcp = (m: unknown) => { if ((m as AcpLifecycle).event === 'spawn') spawned.push(m as AcpLifecycle); };
  let lip: RunningLip;
  before(async () => {
    writeFileSync(agent, `#!/bin/sh\nprintf '%s|%s\\n' "$*" "$AGENT_MODEL" >> ${JSON.stringify(argv)}\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_ACP_AGENT)}\n`);
    chmodSync(agent, 0o755);
    const row = (id: string, models: string) => `  - { id: ${id}, kind: acp, command: ${JSON.stringify(agent)}, args: [--experimental-acp, --model, "{model}"], env: { AGENT_MODEL: "{model}" }${models} }`;
    lip = await startLip(testConfig([row('listed', ', models: [gemini-2.5-flash]'), row('open', '')].join('\n')));
    listen('lip:acp', onAcp);
  });
  after(async () => {
    unlisten('lip:acp', onAcp);
    await lip?.close();
  });
  beforeEach(() => { spawned.length = 0; });

  async function chat(model: string): Promise<{ status: number; body: Record<string, any> }> {
    const r = await fetch(`${lip.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
    return { status: r.status, body: await r.json() as Record<string, any> };
  }
  const started = () => (existsSync(argv) ? readFileSync(argv, 'utf8').split('\n').filter(Boolean) : []);

  // Beyond ASCII: the route selector refuses ASCII white space and controls in a model already (below).
  for (const model of ['--yolo', '--approval-mode=yolo', '-y', 'gemini-2.5-flash\u00a0--yolo', 'a\u2028b', 'a\u0085b', 'a\u009bb']) {
    it(`a model ${JSON.stringify(model)}: a 400, no agent started`, async () => {
      const before = started().length;
      for (const backend of ['listed', 'open']) {
        const r = await chat(`${backend}:${model}`);
        expect(r.status, backend).to.equal(400);
        expect(r.body.error.code).to.equal('LIP_ERR_REQUEST_INVALID');
        expect(r.body.error.message).to.contain(`acp backend "${backend}"`);
      }
      expect(spawned).to.deep.equal([]);
      expect(started()).to.have.length(before);
    });
  }

  it('a model with ASCII white space or a control character is the route selector\'s 400 before any backend', async () => {
    for (const model of ['gemini-2.5-flash --yolo', 'a\tb', 'a\nb', 'a\u0000b', 'a\u007fb']) {
      const r = await chat(`open:${model}`);
      expect([r.status, r.body.error.code], JSON.stringify(model)).to.deep.equal([400, 'LIP_ERR_ROUTE_INVALID_SELECTOR']);
    }
    expect(spawned).to.deep.equal([]);
  });

  it('a row that lists its models takes only those: another is a 404, no agent started', async () => {
    const r = await chat('listed:gemini-2.5-pro');
    expect(r.status).to.equal(404);
    expect(r.body.error.code).to.equal('model_not_found');
    expect(r.body.error.message).to.contain('gemini-2.5-flash').and.contain('"gemini-2.5-pro"');
    expect(spawned).to.deep.equal([]);
  });

  it('a listed model, or any plain model of a row that lists none, is the agent\'s argument and variable as before', async () => {
    expect((await chat('listed:gemini-2.5-flash')).status).to.equal(200);
    expect((await chat('open:qwen3-coder:30b')).status).to.equal(200);
    expect(started().slice(-2)).to.deep.equal(['--experimental-acp --model gemini-2.5-flash|gemini-2.5-flash', '--experimental-acp --model qwen3-coder:30b|qwen3-coder:30b']);
  });
});
