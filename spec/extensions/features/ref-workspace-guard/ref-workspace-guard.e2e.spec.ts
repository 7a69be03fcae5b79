import { expect } from 'chai';
import { CLIENT_DRIVERS, type ClientTool } from '../../../helpers/clients/index.js';
import { chatUpstreamConfig } from '../../../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';
import { workspaceView } from '../../../../lib/extensions/features/ref-workspace-guard/index.js';

const TOOLS: ClientTool[] = ['read_file', 'ref_ws_gated_tool', 'ref_heat_probe'].map((name) => ({ name, parameters: { type: 'object', properties: {} } }));
const offered = (req: RecordedRequest) => (req.body.tools ?? []).map((t: { function: { name: string } }) => t.function.name);

/**
 * ref-workspace-guard through the official SDKs: within one conversation (X-LIP-Session-Id),
 * the first request's upstream never sees the gated tool and the second one does; a
 * `ref_heat_*` tool call never reaches the client (the finish becomes stop).
 */
describe('e2e: ref-workspace-guard through the official SDKs', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req): Script => {
      const asked = JSON.stringify(req.body.messages);
      // A model that misspells the tool's name: tool-call repair renames it to the declared ref_heat_probe.
      if (asked.includes('misspelt')) return { toolCalls: [{ id: 'call_1', name: 'Ref-Heat-Probe', args: '{}' }] };
      return asked.includes('heat') ? { toolCalls: [{ id: 'call_1', name: 'ref_heat_probe', args: '{}' }] } : { text: 'ok' };
    };
    // Client-chosen session ids name the conversations here (the single-user compatibility switch).
    lip = await startLip(chatUpstreamConfig(upstream.url, [
      'continuity: { client_session_ids: true }',
      'features:',
      '  - { id: ref-workspace-guard }',
    ]));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    it(`${frontend}: the gated tool appears from the conversation's second request on; heat tools are swallowed`, async () => {
      const headers = { 'X-LIP-Session-Id': `ws-${frontend}-${Date.now()}` };
      for (let turn = 0; turn < 2; turn++) {
        const r = await driver.run(lip.url, { model: 'up:chat', stream: true, messages: [{ role: 'user', text: 'hello' }], tools: TOOLS, headers });
        expect(r.error).to.equal(undefined);
      }
      expect(upstream.requests.map(offered)).to.deep.equal([['read_file', 'ref_heat_probe'], ['read_file', 'ref_ws_gated_tool', 'ref_heat_probe']]);
      const heat = await driver.run(lip.url, { model: 'up:chat', stream: true, messages: [{ role: 'user', text: 'feel the heat' }], tools: TOOLS });
      expect(heat.error).to.equal(undefined);
      expect(heat.toolCalls).to.deep.equal([]);
      expect(heat.finishReason).to.equal('stop');
    });
  }

  // Found by probing: tool-call repair ran as a reactor after the heat reactor, which saw the
  // misspelt name, let it pass, and the repaired call reached the client. Repair is now a
  // finalizer: every policy and reactor sees the call the client would receive.
  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    for (const stream of [true, false]) {
      it(`${frontend} (${stream ? 'streamed' : 'not streamed'}): a heat tool call whose name repair corrects is swallowed too`, async () => {
        const heat = await driver.run(lip.url, { model: 'up:chat', stream, messages: [{ role: 'user', text: 'a misspelt heat call' }], tools: TOOLS });
        expect(heat.error).to.equal(undefined);
        expect(heat.toolCalls).to.deep.equal([]);
        expect(heat.finishReason).to.equal('stop');
      });
    }
  }

  // Found by probing: project_root, dirty_tree and markers were accepted and read by nothing.
  it('GET /admin/workspace answers the configured view (behind the diagnostics secret)', async () => {
    const configured = await startLip(chatUpstreamConfig(upstream.url, [
      'diagnostics: { enabled: true, shared_secret: "ws-diagnostics-secret" }',
      'features:',
      '  - { id: ref-workspace-guard, config: { project_root: /src/app, dirty_tree: true, markers: [.git, package.json], labels: { team: a } } }',
    ]));
    try {
      const get = (secret?: string) => fetch(`${configured.url}/admin/workspace`, { headers: secret ? { 'x-lip-diagnostics-secret': secret } : {} });
      expect((await get()).status).to.equal(403);
      const view = await (await get('ws-diagnostics-secret')).json();
      expect(view).to.deep.equal({ project_root: '/src/app', dirty_tree: true, markers: ['.git', 'package.json'], labels: { ref_deny_heat: '1', team: 'a' } });
    } finally {
      await configured.close();
    }
    const without = await fetch(`${lip.url}/admin/workspace`);
    expect(without.status).to.be.oneOf([403, 404]);
  });

  it('the static view: reference defaults with an empty project_root; ref_deny_heat is always set unless given', () => {
    expect(workspaceView({ order: 45, project_root: '', dirty_tree: false, markers: [], labels: {} })).to.deep.equal({ projectRoot: '/ref/workspace', dirtyTree: true, markers: ['.refws'], labels: { ref_deny_heat: '1' } });
    expect(workspaceView({ order: 45, project_root: '/src', dirty_tree: false, markers: ['.git'], labels: { ref_deny_heat: '0', team: 'a' } })).to.deep.equal({ projectRoot: '/src', dirtyTree: false, markers: ['.git'], labels: { ref_deny_heat: '0', team: 'a' } });
  });
});
