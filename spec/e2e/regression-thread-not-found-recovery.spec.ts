import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

/**
 * The SDK recovers from a thread the server no longer holds: on a 404 whose `error.details.error_code`
 * is `thread_not_found` it replays the whole history under a new thread (ThreadState.recoversFrom,
 * REPLAY_ERROR_CODES). lip's 404 for a `previous_message_id` it does not hold (a memory store after
 * a restart, an expired thread, another lip) had no `details`, so the SDK gave up and the caller
 * got the 404. Now the 404 carries `details.error_code: "thread_not_found"` and the SDK goes on.
 */
describe('e2e: regression: the SDK recovers from a thread lip does not hold', function () {
  this.timeout(20_000);
  let anthropic: Emulator;
  let first: RunningLip;
  let second: RunningLip;
  before(async () => {
    anthropic = await startAnthropicEmulator();
    // Two lips, each with its own memory store: a thread created on the first is unknown to the second.
    const config = () => testConfig(`  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: k-0123456789 }`);
    [first, second] = await Promise.all([startLip(config()), startLip(config())]);
  });
  after(async () => {
    await Promise.all([first?.close(), second?.close()]);
    await anthropic?.close();
  });
  beforeEach(() => anthropic.reset());

  /** A client whose requests go to `target.lip`, recording each request body it sent. */
  function switchingClient(target: { lip: RunningLip }, sent: Json[]): Anthropic {
    return new Anthropic({
      baseURL: 'http://lip.invalid', apiKey: 'k', maxRetries: 0,
      fetch: async (url, init) => {
        sent.push(JSON.parse(String(init?.body)));
        return fetch(String(url).replace('http://lip.invalid', target.lip.url), init);
      },
    });
  }

  it('lip\'s 404 for an unknown previous_message_id carries error.details.error_code "thread_not_found"', async () => {
    const client = new Anthropic({ baseURL: second.url, apiKey: 'k', maxRetries: 0 });
    const err = await client.beta.messages.create({
      model: 'an:claude-sonnet-4-6', max_tokens: 100, thread: { type: 'continue', previous_message_id: 'msg_unknown' },
      messages: [{ role: 'user', content: 'Hi.' }],
    }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).to.deep.nested.include({
      'error.type': 'not_found_error',
      'error.details': { error_code: 'thread_not_found' },
    });
    expect(anthropic.requests).to.have.length(0);
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`a thread continued at a lip that does not hold it: the SDK replays the history under a new thread and gets its answer (${mode})`, async () => {
      anthropic.enqueue({ text: 'Hello.' }, { text: 'Fine, thanks.' });
      const target = { lip: first };
      const sent: Json[] = [];
      const thread = switchingClient(target, sent).beta.messages.thread({ model: 'an:claude-sonnet-4-6', max_tokens: 100, system: 'You are SYS' });
      const turn = (text: string) => (stream ? thread.stream({ role: 'user', content: text }).finalMessage() : thread.send({ role: 'user', content: text }));
      const hello = await turn('Hi.');
      expect(hello.content[0]).to.deep.include({ text: 'Hello.' });
      target.lip = second;
      const reply = await turn('How are you?');
      expect(reply.content[0]).to.deep.include({ text: 'Fine, thanks.' });
      // create at the first lip; continue at the second (404 thread_not_found); the SDK's replay: a create with everything.
      expect(sent.map((b) => [b.thread?.type, b.messages.length, 'system' in b])).to.deep.equal([['create', 1, true], ['continue', 1, false], ['create', 3, true]]);
      // The upstream saw the first turn, then the replayed conversation once (the 404 went nowhere).
      expect(anthropic.requests).to.have.length(2);
      expect(anthropic.requests[1]!.body.messages.map((m: Json) => m.role)).to.deep.equal(['user', 'assistant', 'user']);
      expect(JSON.stringify(anthropic.requests[1]!.body.system)).to.include('You are SYS');
      // The thread goes on at the second lip from the replayed turn.
      expect(thread.previousMessageId).to.equal(reply.id);
      anthropic.enqueue({ text: 'Bye.' });
      await turn('Bye.');
      expect(sent.at(-1)).to.deep.include({ thread: { type: 'continue', previous_message_id: reply.id } });
      expect(anthropic.requests[2]!.body.messages).to.have.length(5);
    });
  }
});
