import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const COMPUTER = { type: 'computer_toolset_20260801', configs: { zoom: { enabled: false } }, cache_control: { type: 'ephemeral' } } as const;
const BROWSER = { type: 'browser_toolset_20260801', configs: { javascript_exec: { enabled: true } } } as const;
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const SCREENSHOT = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } } as const;
const STATE = { type: 'browser_state', tabs: [{ tab_id: 't1', title: 'Docs', url: 'https://docs.example/', active: true }], state_changes: [{ type: 'tab_opened', tab_id: 't1' }] } as const;
const STATE_TEXT = 'Browser tabs: t1 "Docs" https://docs.example/ (active).\nChanged by this action: tab t1 opened.';

/**
 * Anthropic's computer and browser toolsets through lip with the official SDK. They were refused
 * (400) and `browser_state` blocks too. Now an Anthropic upstream gets each toolset as declared and
 * the calls of its members (tool_use with `toolset_name`) and their results both ways; another
 * provider's model gets each enabled member as a function of its name, and its call of one comes
 * back to the client as the member's tool_use with the toolset's name, so that the client's
 * toolset runner answers it as it answers Claude's.
 */
describe('e2e: Anthropic\'s computer and browser toolsets', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' }, gm: { kind: 'gemini' } });
  const emulators = up.emulators;
  const client = () => up.anthropic();

  const first = (model: string, tools: readonly Json[] = [COMPUTER]) => ({
    model, max_tokens: 256, tools: tools as Anthropic.ToolUnion[],
    messages: [{ role: 'user' as const, content: 'Open the settings.' }],
  });
  /** The next turn: the member's call and the client's result (a screenshot, and for the browser its state), as the SDK's runner sends them. */
  const second = (model: string, id: string, toolset: 'computer' | 'browser', tools: readonly Json[] = [COMPUTER]) => ({
    ...first(model, tools),
    messages: [
      ...first(model, tools).messages,
      { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id, name: 'screenshot', input: {}, toolset_name: toolset }] },
      {
        role: 'user' as const,
        content: [{ type: 'tool_result' as const, tool_use_id: id, toolset_name: toolset, content: toolset === 'browser' ? [SCREENSHOT, STATE] : [SCREENSHOT] }],
      },
    ] as Anthropic.MessageParam[],
  });
  const toolUses = (message: Anthropic.Message) => message.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, input: b.input, toolset_name: b.toolset_name }] : []));

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const ask = (p: Anthropic.MessageCreateParamsNonStreaming) => (stream ? client().messages.stream(p).finalMessage() : client().messages.create(p));

    it(`an anthropic upstream gets the toolset once, as declared; the member's tool_use comes back with its toolset_name, and goes up again with its result (${mode})`, async () => {
      emulators.an!.enqueue({ toolCalls: [{ id: 'toolu_1', name: 'left_click', args: '{"coordinate":[40,50]}', toolset: 'computer' }], finish: 'tool_calls' });
      const message = await ask(first('an:claude-sonnet-5-5'));
      expect(message.stop_reason).to.equal('tool_use');
      expect(toolUses(message)).to.deep.equal([{ id: 'toolu_1', name: 'left_click', input: { coordinate: [40, 50] }, toolset_name: 'computer' }]);
      expect(emulators.an!.requests[0]!.body.tools).to.deep.equal([COMPUTER]);

      emulators.an!.enqueue({ text: 'The settings are open.' });
      await ask(second('an:claude-sonnet-5-5', 'toolu_1', 'computer'));
      const sent = emulators.an!.requests[1]!.body;
      expect(sent.tools).to.deep.equal([COMPUTER]);
      expect(sent.messages.slice(1)).to.deep.equal([
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'screenshot', input: {}, toolset_name: 'computer' }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [SCREENSHOT], toolset_name: 'computer' }] },
      ]);
    });

    it(`an openai-chat upstream gets each enabled member as a function; its call comes back as the member's tool_use with toolset_name (${mode})`, async () => {
      emulators.oc!.enqueue({ toolCalls: [{ id: 'call_1', name: 'left_click', args: ['{"coordinate":', '[40,50]}'] }], finish: 'tool_calls' });
      const message = await ask(first('oc:gpt-5.4-mini'));
      expect(message.stop_reason).to.equal('tool_use');
      expect(toolUses(message)).to.deep.equal([{ id: 'call_1', name: 'left_click', input: { coordinate: [40, 50] }, toolset_name: 'computer' }]);
      const tools = emulators.oc!.requests[0]!.body.tools as { type: string; function: { name: string; description: string; parameters: Json } }[];
      expect(tools.map((t) => t.function.name)).to.deep.equal([
        'key', 'hold_key', 'type', 'cursor_position', 'mouse_move', 'left_mouse_down', 'left_mouse_up', 'left_click', 'left_click_drag',
        'right_click', 'middle_click', 'double_click', 'triple_click', 'scroll', 'wait', 'screenshot',
      ]);
      expect(tools.find((t) => t.function.name === 'left_click')!.function.parameters.properties).to.have.keys('coordinate', 'text');

      emulators.oc!.enqueue({ text: 'The settings are open.' });
      await ask(second('oc:gpt-5.4-mini', 'call_1', 'computer'));
      const history = (emulators.oc!.requests[1]!.body.messages as Json[]).slice(1);
      expect(history[0]).to.deep.equal({ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'screenshot', arguments: '{}' } }] });
      expect(history[1]).to.deep.include({ role: 'tool', tool_call_id: 'call_1' });
      expect(JSON.stringify(history.slice(2))).to.contain(PNG);
    });
  }

  it('a browser member\'s result reaches an anthropic upstream with its browser_state block as written', async () => {
    emulators.an!.enqueue({ text: 'It shows the docs.' });
    await client().messages.create(second('an:claude-sonnet-5-5', 'toolu_7', 'browser', [BROWSER]));
    const sent = emulators.an!.requests[0]!.body;
    expect(sent.tools).to.deep.equal([BROWSER]);
    expect(sent.messages[2]).to.deep.equal({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_7', content: [SCREENSHOT, STATE], toolset_name: 'browser' }] });
  });

  it('on a gemini upstream the browser\'s members are functions, its state is text in the member\'s functionResponse, and the next call comes back with toolset_name (streaming)', async () => {
    emulators.gm!.enqueue({ toolCalls: [{ name: 'navigate', args: '{"url":"https://docs.example/settings"}' }], finish: 'tool_calls' });
    const message = await client().messages.stream(second('gm:gemini-3-flash', 'toolu_7', 'browser', [BROWSER])).finalMessage();
    expect(message.content.flatMap((b) => (b.type === 'tool_use' ? [[b.name, b.input, b.toolset_name]] : []))).to.deep.equal([['navigate', { url: 'https://docs.example/settings' }, 'browser']]);
    const body = emulators.gm!.requests[0]!.body;
    const declared = (body.tools as Json[]).flatMap((t) => (t.functionDeclarations ?? []) as Json[]).map((d) => d.name);
    expect(declared).to.include.members(['navigate', 'read_page', 'javascript_exec', 'screenshot']).and.not.include('read_console');
    const turn = (body.contents as Json[])[2]!;
    const response = turn.parts.find((p: Json) => p.functionResponse !== undefined);
    expect(response.functionResponse.name).to.equal('screenshot');
    expect(JSON.stringify(response)).to.contain(JSON.stringify(STATE_TEXT).slice(1, -1));
    expect(turn.parts.some((p: Json) => p.inlineData?.data === PNG)).to.equal(true);
  });

  it('a member whose name a custom tool takes is a 400 in Anthropic\'s envelope naming the tool; nothing goes upstream', async () => {
    const err = await client().messages.create({
      ...first('an:claude-sonnet-5-5'), tools: [COMPUTER, { name: 'screenshot', input_schema: { type: 'object' } }] as Anthropic.ToolUnion[],
    }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).to.deep.include({
      error: { type: 'invalid_request_error', message: 'tools[1].name: "screenshot" is already the name of a member of the computer toolset (tools[0]); rename the tool or disable the member in a toolset\'s configs' },
    });
    expect(emulators.an!.requests).to.have.length(0);
  });
});
