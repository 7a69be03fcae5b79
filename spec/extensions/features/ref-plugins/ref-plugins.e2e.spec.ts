import { expect } from 'chai';
import { CLIENT_DRIVERS } from '../../../helpers/clients/index.js';
import { chatUpstreamConfig } from '../../../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';

const userText = (req: RecordedRequest) => JSON.stringify(req.body.messages.filter((m: { role: string }) => m.role === 'user'));

/**
 * The reference plugins on the wire, through the official SDKs against the upstream emulator:
 * the suffix reaches the upstream and the prefix the client (all four protocols, streamed and
 * not), the tool prefix reaches the client, the submit marker reaches the upstream's metadata,
 * and the auto-appended text reaches the upstream on a conversation's first request only.
 */
describe('e2e: reference plugins through the official SDKs', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req): Script => (userText(req).includes('tool please')
      ? { toolCalls: [{ id: 'call_1', name: 'note', args: ['{"n":', '1}'] }] }
      : { text: ['one ', 'two'] });
    // Client-chosen session ids name the conversations here (the single-user compatibility switch).
    lip = await startLip(chatUpstreamConfig(upstream.url, [
      'continuity: { client_session_ids: true }',
      'features:',
      '  - { id: ref-request-suffix }',
      '  - { id: ref-tool-prefix }',
      '  - { id: ref-submit-annotate, config: { marker: e2e } }',
      '  - { id: ref-autoappend-file, config: { file_text: " [appended]" } }',
      '  - { id: tool-call-repair, enabled: false }',
    ]));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    for (const stream of [true, false]) {
      it(`${frontend}, ${stream ? 'streamed' : 'not streamed'}: suffix upstream, prefix downstream, marker in metadata`, async () => {
        const r = await driver.run(lip.url, { model: 'up:chat', stream, messages: [{ role: 'user', text: 'hello' }] });
        expect(r.error).to.equal(undefined);
        // Every text delta gets the prefix: the upstream streams two, or answers whole (one).
        expect(r.text).to.equal(stream ? 'REF:one REF:two' : 'REF:one two');
        const req = upstream.requests[0]!;
        // No session id: a new conversation, so the auto-append (request-wide) comes before the per-attempt suffix.
        expect(userText(req)).to.contain('hello [appended] [ref]"');
        expect(req.body.metadata).to.include({ x_lip_ref_submit: '"e2e"' });
      });
    }
  }

  it('ref-tool-prefix: the client receives the arguments with the prefix once', async () => {
    const r = await CLIENT_DRIVERS['openai-chat']!.run(lip.url, {
      model: 'up:chat', stream: true, messages: [{ role: 'user', text: 'tool please' }],
      tools: [{ name: 'note', parameters: { type: 'object', properties: { n: { type: 'integer' } } } }],
    });
    expect(r.toolCalls.map((t) => [t.name, t.args])).to.deep.equal([['note', '>>{"n":1}']]);
  });

  it('ref-autoappend-file: a new conversation\'s first request gets the text, the next one does not', async () => {
    const headers = { 'X-LIP-Session-Id': `ref-e2e-${Date.now()}` };
    for (const text of ['first turn', 'second turn']) {
      const r = await CLIENT_DRIVERS['anthropic']!.run(lip.url, { model: 'up:chat', stream: true, messages: [{ role: 'user', text }], headers });
      expect(r.error).to.equal(undefined);
    }
    const [first, second] = upstream.requests.map(userText);
    expect(first).to.contain('first turn [appended] [ref]');
    expect(second).to.contain('second turn [ref]');
    expect(second).to.not.contain('[appended]');
  });
});
