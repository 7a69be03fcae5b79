import { GoogleGenAI, type Content, type GenerateContentConfig, type Part } from '@google/genai';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { EMULATOR_AWS, startBedrockEmulator, startOpenAIChatEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

const THOUGHT = 'PRIVATE CHAIN OF THOUGHT';
const CLAUDE = 'br:anthropic.claude-sonnet-4-20250514-v1:0';
const hidden: GenerateContentConfig = { thinkingConfig: { thinkingBudget: 2048, includeThoughts: false } };

/**
 * `thinkingConfig.includeThoughts: false` hides the thoughts (Google returns no thought part
 * then, only the signatures, on the parts that follow). A backend that returns its reasoning
 * anyway (an OpenAI-compatible server's `reasoning_content`, Claude on Bedrock's
 * `reasoningContent`) still reached the client as `{text, thought: true}` parts, streamed and
 * whole. Now no thought part is written; a signature rides on the next text or `functionCall`
 * part as Gemini puts its own (another provider's in lip's turn form), so the reasoning is still
 * replayed on the next turn of a tool loop.
 */
describe('e2e: regression: a Gemini client\'s includeThoughts: false hides thoughts whatever the backend', function () {
  this.timeout(30_000);
  let oc: Emulator;
  let br: Emulator;
  let lip: RunningLip;
  let ai: GoogleGenAI;
  before(async () => {
    [oc, br] = await Promise.all([startOpenAIChatEmulator(), startBedrockEmulator()]);
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${oc.url}", api_key: k-0123456789 }
  - { id: br, kind: bedrock, base_endpoint: "${br.origin}", disable_https: true, access_key_id: ${EMULATOR_AWS.accessKeyId}, secret_access_key: ${EMULATOR_AWS.secretAccessKey} }`));
    ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    await oc?.close();
    await br?.close();
  });
  beforeEach(() => {
    oc.reset();
    br.reset();
  });

  /** The model turn's parts, streamed (every chunk's) or whole. */
  async function parts(model: string, contents: Content[], config: GenerateContentConfig, stream: boolean): Promise<Part[]> {
    if (!stream) return (await ai.models.generateContent({ model, contents, config })).candidates![0]!.content!.parts!;
    const out: Part[] = [];
    for await (const chunk of await ai.models.generateContentStream({ model, contents, config })) out.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
    return out;
  }

  for (const stream of [true, false]) {
    const how = stream ? 'streamed' : 'whole';
    for (const [id, model] of [['oc', 'oc:deepseek-reasoner'], ['br', CLAUDE]] as const) {
      it(`${id} (${how}): no thought part reaches the client, the answer does`, async () => {
        (id === 'oc' ? oc : br).enqueue({ reasoning: { text: [THOUGHT.slice(0, 8), THOUGHT.slice(8)], ...(id === 'br' ? { signature: 'sig-br' } : {}) }, text: ['ans', 'wer'] });
        const got = await parts(model, [{ role: 'user', parts: [{ text: 'q' }] }], hidden, stream);
        expect(got.filter((p) => p.thought), JSON.stringify(got)).to.deep.equal([]);
        expect(got.map((p) => p.text ?? '').join('')).to.equal('answer');
        expect(JSON.stringify(got)).not.to.include(THOUGHT);
      });
    }

    it(`br (${how}): Claude's signature rides on the answer's first part and its thinking is replayed in the tool loop`, async () => {
      br.checkState = true;
      const script: Script = { reasoning: { text: 'Plan: read it.', signature: 'sig-br' }, text: 'Reading.', toolCalls: [{ id: 'tu_1', name: 'read_file', args: '{"path":"a"}' }] };
      br.enqueue(script, { text: 'Done.' });
      const config: GenerateContentConfig = { ...hidden, tools: [{ functionDeclarations: [{ name: 'read_file', parametersJsonSchema: { type: 'object', properties: { path: { type: 'string' } } } }] }] };
      const contents: Content[] = [{ role: 'user', parts: [{ text: 'read a' }] }];
      const turn = await parts(CLAUDE, contents, config, stream);
      expect(turn.some((p) => p.thought)).to.equal(false);
      expect(turn[0]).to.include({ text: 'Reading.' });
      expect(turn[0]!.thoughtSignature, 'the first part carries the reasoning').to.be.a('string');
      const call = turn.find((p) => p.functionCall)!.functionCall!;
      contents.push({ role: 'model', parts: turn }, { role: 'user', parts: [{ functionResponse: { id: call.id, name: call.name, response: { output: 'x' } } }] });
      const answer = await ai.models.generateContent({ model: CLAUDE, contents, config });
      expect(answer.text).to.equal('Done.');
      const assistant = (br.requests[1]!.body as Json).messages.at(-2) as Json;
      expect(assistant.content[0]).to.deep.equal({ reasoningContent: { reasoningText: { text: 'Plan: read it.', signature: 'sig-br' } } });
      expect(assistant.content.map((b: Json) => Object.keys(b)[0])).to.deep.equal(['reasoningContent', 'text', 'toolUse']);
    });
  }

  it('includeThoughts left out or true still shows the thoughts', async () => {
    for (const includeThoughts of [undefined, true]) {
      oc.enqueue({ reasoning: { text: THOUGHT }, text: 'answer' });
      const got = await parts('oc:deepseek-reasoner', [{ role: 'user', parts: [{ text: 'q' }] }], { thinkingConfig: { thinkingBudget: 2048, ...(includeThoughts !== undefined ? { includeThoughts } : {}) } }, false);
      expect(got[0]).to.deep.equal({ text: THOUGHT, thought: true });
    }
  });
});
