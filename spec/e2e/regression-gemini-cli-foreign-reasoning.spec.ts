import type { Content, GenerateContentConfig, Part } from '@google/genai';
import { expect } from 'chai';
import type { Script } from '../helpers/emulators/index.js';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const config: GenerateContentConfig = {
  tools: [{ functionDeclarations: [{ name: 'read_file', parametersJsonSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }] }],
  thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 },
};

const SCRIPTS: Record<'or' | 'an', Script> = {
  or: { reasoning: { text: 'Plan: read it.', encrypted: 'enc-or', id: 'rs_or1' }, text: 'Reading.', toolCalls: [{ id: 'call_1', name: 'read_file', args: '{"path":"a"}' }] },
  an: { reasoning: { text: 'Plan: read it.', signature: 'sig-an' }, text: 'Reading.', toolCalls: [{ id: 'toolu_1', name: 'read_file', args: '{"path":"a"}' }] },
};

/**
 * Gemini CLI keeps no thought part of a model turn in its history (geminiChat.ts:
 * `parts.filter((part) => !part.thought)`), and lip wrote another provider's sealed reasoning
 * (OpenAI's encrypted reasoning, Anthropic's thinking signature) on thought parts only. Behind
 * Gemini CLI, the next turn of a tool loop reached an openai-responses upstream without the
 * reasoning item of its call (OpenAI: 400 "Item 'call_1' ... was provided without its required
 * 'reasoning' item"; the emulator refuses it likewise) and Claude without its thinking (so lip
 * turned thinking off for the loop). That state now rides again on the first text or
 * functionCall part after it, which Gemini CLI keeps, and comes back into place from there,
 * not doubled when the thought parts come back too.
 */
describe('e2e: regression: behind Gemini CLI, which drops thought parts, another provider\'s reasoning survives a tool loop', function () {
  this.timeout(30_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' }, an: { kind: 'anthropic' } });

  /** Turn 1 (streamed like Gemini CLI, or whole), then turn 2 with the model turn's parts as `keep` leaves them and the tool's answer. */
  async function loop(row: 'or' | 'an', stream: boolean, keep: (part: Part) => boolean): Promise<{ answer: string; body: Json; kept: Part[] }> {
    const emu = up.emulators[row]!;
    emu.checkState = true;
    emu.enqueue(SCRIPTS[row], { text: 'Done.' });
    const contents: Content[] = [{ role: 'user', parts: [{ text: 'read a' }] }];
    const parts: Part[] = [];
    if (stream) {
      for await (const chunk of await up.google().models.generateContentStream({ model: `${row}:m`, contents, config })) parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
    } else {
      parts.push(...(await up.google().models.generateContent({ model: `${row}:m`, contents, config })).candidates![0]!.content!.parts!);
    }
    const kept = parts.filter(keep);
    const call = kept.find((p) => p.functionCall)!.functionCall!;
    contents.push({ role: 'model', parts: kept }, { role: 'user', parts: [{ functionResponse: { id: call.id, name: call.name, response: { output: 'x' } } }] });
    const answer = await up.google().models.generateContent({ model: `${row}:m`, contents, config });
    return { answer: answer.text ?? '', body: emu.requests[1]!.body as Json, kept };
  }
  const geminiCli = (part: Part) => !part.thought;

  for (const stream of [true, false]) {
    const how = stream ? 'streamed' : 'whole';
    it(`openai-responses (${how}): turn 2 sends the call's reasoning item with its encrypted content`, async () => {
      const { answer, body, kept } = await loop('or', stream, geminiCli);
      expect(kept.some((p) => p.thought)).to.equal(false);
      expect(answer).to.equal('Done.');
      const items = body.input as Json[];
      expect(items.map((i) => i.type)).to.deep.equal(['message', 'reasoning', 'message', 'function_call', 'function_call_output']);
      expect(items[1]).to.include({ id: 'rs_or1', encrypted_content: 'enc-or' });
    });

    it(`anthropic (${how}): turn 2 keeps thinking, the signed thinking block first in the assistant turn`, async () => {
      const { answer, body } = await loop('an', stream, geminiCli);
      expect(answer).to.equal('Done.');
      expect(body.thinking).to.include({ type: 'enabled', budget_tokens: 8192 });
      const assistant = (body.messages as Json[]).at(-2)!;
      expect(assistant.content.map((b: Json) => b.type)).to.deep.equal(['thinking', 'text', 'tool_use']);
      expect(assistant.content[0]).to.deep.equal({ type: 'thinking', thinking: 'Plan: read it.', signature: 'sig-an' });
    });
  }

  it('a client that keeps the thought parts too gets the reasoning back once, not twice', async () => {
    const all = () => true;
    const or = await loop('or', true, all);
    expect(or.answer).to.equal('Done.');
    expect((or.body.input as Json[]).filter((i) => i.type === 'reasoning')).to.have.length(1);
    const an = await loop('an', false, all);
    expect(an.answer).to.equal('Done.');
    expect((an.body.messages as Json[]).at(-2)!.content.map((b: Json) => b.type)).to.deep.equal(['thinking', 'text', 'tool_use']);
  });
});
