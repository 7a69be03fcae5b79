import type { Content } from '@google/genai';
import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/**
 * Gemini CLI reports a tool that failed as `functionResponse.response = {error: "..."}` (Gemini's
 * documented key for a failed call), and lip's Gemini frontend read it as an ordinary result: an
 * anthropic upstream got the failure as a plain `tool_result`, without `is_error`. Such a
 * response is now a failed result, and a gemini upstream still gets the very object the client
 * sent.
 */
describe('e2e: regression: a Gemini client\'s failed tool result keeps its error flag', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, ge: { kind: 'gemini' } });
  const contents = (response: Json): Content[] => [
    { role: 'user', parts: [{ text: 'run ls' }] },
    { role: 'model', parts: [{ functionCall: { id: 'c1', name: 'run_shell_command', args: { command: 'ls' } } }] },
    { role: 'user', parts: [{ functionResponse: { id: 'c1', name: 'run_shell_command', response } }] },
  ];
  const config = { tools: [{ functionDeclarations: [{ name: 'run_shell_command', parametersJsonSchema: { type: 'object', properties: { command: { type: 'string' } } } }] }] };
  const FAILED = { error: 'Command failed: exit 1' };

  it('anthropic: the tool_result goes with is_error: true; a result that did not fail without it', async () => {
    await up.google().models.generateContent({ model: 'an:claude-sonnet-4-6', contents: contents(FAILED), config });
    await up.google().models.generateContent({ model: 'an:claude-sonnet-4-6', contents: contents({ output: 'a.txt' }), config });
    const [failed, ok] = up.emulators.an!.requests.map((r) => (r.body as Json).messages.at(-1).content[0]);
    expect(failed).to.include({ type: 'tool_result', tool_use_id: 'c1', is_error: true });
    expect(JSON.stringify(failed.content)).to.contain('Command failed: exit 1');
    expect(ok).to.include({ type: 'tool_result', tool_use_id: 'c1' }).and.not.have.property('is_error');
  });

  it('gemini: the functionResponse goes back as the client wrote it', async () => {
    await up.google().models.generateContent({ model: 'ge:gemini-2.5-flash', contents: contents(FAILED), config });
    const part = (up.emulators.ge!.requests[0]!.body as Json).contents.at(-1).parts[0];
    expect(part.functionResponse).to.deep.include({ name: 'run_shell_command', response: FAILED });
  });
});
