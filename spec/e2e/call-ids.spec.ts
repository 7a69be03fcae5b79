import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const KIMI = 'functions.Bash:0';
const LONG = `call_${'x'.repeat(60)}`;

/**
 * A conversation whose tool call ids another provider made (Kimi's `functions.Bash:0`, a
 * 65-character id) moves to a provider whose rules refuse them: the emulators refuse them as the
 * real services do (spec/helpers/emulators/wire-identifiers.ts), and lip sends ids that fit.
 */
describe('e2e: tool call ids from another provider are sent as the next provider takes them', function () {
  this.timeout(30_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' }, gm: { kind: 'gemini' } });
  const history = (id: string) => [
    { role: 'user' as const, content: 'List the files.' },
    { role: 'assistant' as const, content: null, tool_calls: [{ id, type: 'function' as const, function: { name: 'Bash', arguments: '{"cmd":"ls"}' } }] },
    { role: 'tool' as const, tool_call_id: id, content: 'a.txt' },
  ];
  const tools = [{ type: 'function' as const, function: { name: 'Bash', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } } }];

  for (const [row, kind] of [['an', 'anthropic'], ['oc', 'openai-chat'], ['or', 'openai-responses'], ['gm', 'gemini']] as const) {
    it(`${kind}: the history's ids go out as the provider's rules take them, the call and its result alike`, async () => {
      up.emulators[row]!.handler = () => ({ text: 'One file.' });
      for (const id of [KIMI, LONG]) {
        const answer = await up.openai().chat.completions.create({ model: `${row}:m`, messages: history(id), tools });
        expect(answer.choices[0]!.message.content).to.equal('One file.');
      }
      const [kimi, long] = up.emulators[row]!.requests.map((r) => r.body as Json);
      const pair = (body: Json): [string, string] => {
        switch (kind) {
          case 'anthropic': return [body.messages[1].content[0].id, body.messages[2].content[0].tool_use_id];
          case 'openai-chat': return [body.messages[1].tool_calls[0].id, body.messages[2].tool_call_id];
          case 'openai-responses': return [body.input[1].call_id, body.input[2].call_id];
          default: throw new Error(`no ids on ${kind}'s wire`);
        }
      };
      if (kind === 'gemini') {
        // Gemini pairs a call and its response by name and order: no id goes, whatever the client's.
        for (const body of [kimi!, long!]) {
          expect(body.contents[1].parts[0].functionCall).to.include({ name: 'Bash' }).and.not.have.property('id');
          expect(body.contents[2].parts[0].functionResponse).to.include({ name: 'Bash' }).and.not.have.property('id');
        }
        return;
      }
      const [kimiCall, kimiResult] = pair(kimi!);
      const [longCall, longResult] = pair(long!);
      expect(kimiResult).to.equal(kimiCall);
      expect(longResult).to.equal(longCall);
      // Anthropic takes no `.` or `:`; OpenAI Chat no id over 40 characters; the Responses API none over 64. Gemini takes either.
      expect(kimiCall).to.equal(kind === 'anthropic' ? 'functions_Bash_0' : KIMI);
      if (kind === 'openai-chat') expect(longCall).to.have.length(40);
      else if (kind === 'openai-responses') expect(longCall).to.have.length(64);
      else if (kind === 'anthropic') expect(longCall).to.equal(LONG);
    });
  }
});
