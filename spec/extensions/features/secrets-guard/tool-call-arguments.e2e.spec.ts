import { expect } from 'chai';
import type OpenAI from 'openai';
import { useUpstreams } from '../../../helpers/upstreams.js';
import { SAMPLES } from './secrets-guard.spec.js';

const KEY = SAMPLES.openai_api_key!;

/** A Chat client's earlier turn whose tool call wrote a private key cut short (`head -c`: a BEGIN line, no END). */
const messagesWith = (args: Record<string, unknown>): OpenAI.ChatCompletionMessageParam[] => [
  { role: 'user', content: 'write the file' },
  { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'write', arguments: JSON.stringify(args) } }] },
  { role: 'tool', tool_call_id: 'call_1', content: 'written' },
  { role: 'user', content: 'thanks' },
];
const CUT_KEY = { path: 'id_rsa', content: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7', mode: 384 };
const TOOLS: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'write', parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' }, mode: { type: 'integer' } } } } }];

/** The arguments of the earlier tool call as each upstream got them. */
const sentArguments = (up: ReturnType<typeof useUpstreams>, id: string): unknown => {
  const body = up.emulators[id]!.requests[0]!.body as { messages: { content: { type: string; input?: unknown }[]; tool_calls?: { function: { arguments: string } }[] }[] };
  return id === 'an' ? body.messages[1]!.content.find((b) => b.type === 'tool_use')!.input : JSON.parse(body.messages[1]!.tool_calls![0]!.function.arguments);
};

/**
 * Found by probing: secrets-guard scanned tool-call arguments as flat text, so a private key cut
 * short (which runs to the end of its text) took the rest of the JSON with it: an openai-chat
 * upstream got arguments that were not JSON, an anthropic one an empty input; and a configured
 * replacement holding `"` broke the JSON the same way. Arguments are now scanned value by value.
 */
describe('e2e: secrets-guard redacts tool-call arguments value by value', function () {
  this.timeout(30_000);

  describe('the default replacement', () => {
    const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } }, 'features:\n  - { id: secrets-guard, config: { mode: redact } }');

    for (const id of ['an', 'oc']) {
      it(`a cut private key is replaced inside its own value; the other arguments reach ${id === 'an' ? 'an anthropic' : 'an openai-chat'} upstream as they were`, async () => {
        up.emulators[id]!.enqueue({ text: 'done' });
        const completion = await up.openai().chat.completions.create({ model: `${id}:m`, messages: messagesWith(CUT_KEY), tools: TOOLS });
        expect(completion.choices[0]!.message.content).to.equal('done');
        expect(sentArguments(up, id)).to.deep.equal({ path: 'id_rsa', content: '[REDACTED:private_key]', mode: 384 });
      });
    }
  });

  describe('a replacement holding quotes', () => {
    const up = useUpstreams({ oc: { kind: 'openai-chat' } }, 'features:\n  - { id: secrets-guard, config: { mode: redact, replacement: \'"{id}" removed\' } }');

    it('the arguments stay JSON, the replacement inside its value', async () => {
      up.emulators.oc!.enqueue({ text: 'done' });
      await up.openai().chat.completions.create({ model: 'oc:m', messages: messagesWith({ path: '.env', content: `KEY=${KEY}` }), tools: TOOLS });
      expect(sentArguments(up, 'oc')).to.deep.equal({ path: '.env', content: 'KEY="openai_api_key" removed' });
    });
  });
});
