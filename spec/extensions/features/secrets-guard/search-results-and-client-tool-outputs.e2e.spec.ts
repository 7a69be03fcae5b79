import type Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import type { ResponseCreateParamsNonStreaming, ResponseInputItem } from 'openai/resources/responses/responses';
import { useUpstreams } from '../../../helpers/upstreams.js';
import { SAMPLES } from './secrets-guard.spec.js';

const KEY = SAMPLES.openai_api_key!;

/** A RAG result the client retrieved, with a leaked key in its text (and in its title). */
const RESULT: Anthropic.SearchResultBlockParam = {
  type: 'search_result', source: 'https://wiki.example/deploy', title: `Deploy notes ${KEY}`,
  content: [{ type: 'text', text: `leaked ${KEY}` }],
};
const SEARCH_MESSAGES: Anthropic.MessageParam[] = [
  { role: 'user', content: [RESULT, { type: 'text', text: 'Summarise the deploy notes.' }] },
  { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'knowledge_search', input: { query: 'deploy' } }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ ...RESULT, title: 'More notes' }] }] },
];
const SEARCH_TOOLS: Anthropic.Tool[] = [{ name: 'knowledge_search', input_schema: { type: 'object', properties: { query: { type: 'string' } } } }];

/** A turn of a Responses client whose shell (and local shell) printed a key, answered as the tool's own items. */
const SHELL_INPUT: ResponseInputItem[] = [
  { role: 'user', content: 'Show me the environment.' },
  { type: 'shell_call', call_id: 'call_sh1', status: 'completed', action: { commands: ['env'], timeout_ms: null, max_output_length: null } } as ResponseInputItem,
  { type: 'shell_call_output', call_id: 'call_sh1', output: [{ stdout: `OPENAI_API_KEY=${KEY}\n`, stderr: `warning: ${KEY} is exposed`, outcome: { type: 'exit', exit_code: 0 } }] } as ResponseInputItem,
  { type: 'local_shell_call', id: 'lsh_1', call_id: 'call_ls1', status: 'completed', action: { type: 'exec', command: ['env'], env: {} } },
  { type: 'local_shell_call_output', id: 'call_ls1', output: `OPENAI_API_KEY=${KEY}` },
];
const SHELL_PARAMS = { model: 'or:gpt-5.4', tools: [{ type: 'shell' }, { type: 'local_shell' }], input: SHELL_INPUT } as unknown as ResponseCreateParamsNonStreaming;

/**
 * Found by probing: secrets-guard left credentials in two places it did not read. Anthropic
 * `search_result` blocks (in a user turn or a tool result) reached an Anthropic upstream
 * unchanged, and `block` let them pass; and a Responses client's answer to a client tool
 * (`shell_call_output`, `local_shell_call_output`), whose text was redacted but whose item, kept
 * as written, is what an openai-responses upstream is sent, went up with the key in it.
 */
describe('e2e: secrets-guard reads search results and client tools\' outputs', function () {
  this.timeout(30_000);

  describe('redact', () => {
    const up = useUpstreams({ an: { kind: 'anthropic' }, or: { kind: 'openai-responses' } }, 'features:\n  - { id: secrets-guard, config: { mode: redact } }');

    it('search results, in a user turn and in a tool result, reach an anthropic upstream redacted, still search results', async () => {
      up.emulators.an!.enqueue({ text: 'done' });
      const message = await up.anthropic().messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, tools: SEARCH_TOOLS, messages: SEARCH_MESSAGES });
      expect((message.content[0] as Anthropic.TextBlock).text).to.equal('done');
      const sent = up.emulators.an!.requests[0]!.body.messages as { content: Record<string, unknown>[] }[];
      expect(JSON.stringify(sent)).to.not.contain(KEY);
      expect(sent[0]!.content[0]).to.deep.equal({ ...RESULT, title: 'Deploy notes [REDACTED:openai_api_key]', content: [{ type: 'text', text: 'leaked [REDACTED:openai_api_key]' }] });
      expect((sent[2]!.content[0]!.content as unknown[])[0]).to.deep.equal({ ...RESULT, title: 'More notes', content: [{ type: 'text', text: 'leaked [REDACTED:openai_api_key]' }] });
      expect(JSON.stringify(up.lip().logs)).to.not.contain(KEY);
    });

    it('shell and local shell outputs reach an openai-responses upstream redacted, each still the tool\'s own item', async () => {
      up.emulators.or!.enqueue({ text: 'done' });
      const response = await up.openai().responses.create(SHELL_PARAMS);
      expect(response.output_text).to.equal('done');
      const input = up.emulators.or!.requests[0]!.body.input as Record<string, unknown>[];
      expect(JSON.stringify(input)).to.not.contain(KEY);
      expect(input.find((i) => i.type === 'shell_call_output')).to.deep.equal({
        type: 'shell_call_output', call_id: 'call_sh1',
        output: [{ stdout: 'OPENAI_API_KEY=[REDACTED:openai_api_key]\n', stderr: 'warning: [REDACTED:openai_api_key] is exposed', outcome: { type: 'exit', exit_code: 0 } }],
      });
      expect(input.find((i) => i.type === 'local_shell_call_output')).to.deep.equal({ type: 'local_shell_call_output', id: 'call_ls1', output: 'OPENAI_API_KEY=[REDACTED:openai_api_key]' });
      expect(JSON.stringify(up.lip().logs)).to.not.contain(KEY);
    });
  });

  describe('block', () => {
    const up = useUpstreams({ an: { kind: 'anthropic' }, or: { kind: 'openai-responses' } }, 'features:\n  - { id: secrets-guard, config: { mode: block } }');

    it('a search result with a key is a 400 and no upstream request', async () => {
      for (const messages of [SEARCH_MESSAGES.slice(0, 1), [{ ...SEARCH_MESSAGES[0]!, content: [{ ...RESULT, title: 'Notes' }] }] as Anthropic.MessageParam[]]) {
        const err = await up.anthropic().messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, messages }).catch((e: unknown) => e);
        expect((err as { status: number }).status).to.equal(400);
        expect((err as Error).message).to.contain('credential-shaped string');
      }
      expect(up.emulators.an!.requests).to.have.length(0);
    });

    it('a shell output with a key is a 400 and no upstream request', async () => {
      const err = await up.openai().responses.create(SHELL_PARAMS).catch((e: unknown) => e);
      expect((err as { status: number }).status).to.equal(400);
      expect(up.emulators.or!.requests).to.have.length(0);
    });
  });
});
