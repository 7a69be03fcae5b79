import { Ajv } from 'ajv';
import { expect } from 'chai';
import { TOOL_DIALECTS, validateCall, type ToolDefinition } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { decodeMessagesRequest } from '../../../lib/frontends/anthropic/index.js';
import { refusalOf } from '../../helpers/refusal.js';

const base = { model: 'claude-x', max_tokens: 256, messages: [{ role: 'user', content: 'Fix the bug in /repo/a.py.' }] };
const decode = (tools: unknown[]) => decodeMessagesRequest({ ...base, tools }).call;
const one = (tool: Record<string, unknown>): ToolDefinition => decode([tool]).tools[0]!;

function decodeError(tools: unknown[]): LipError {
  return refusalOf(() => decodeMessagesRequest({ ...base, tools }));
}

const ajv = new Ajv({ strict: false });
/** Whether an input the model might send matches the schema lip offers other providers' models. */
const accepts = (tool: ToolDefinition, input: unknown) => ajv.validate(tool.parameters, input);
const enumOf = (tool: ToolDefinition, field: string) => ((tool.parameters.properties as Record<string, { enum?: string[] }>)[field]!.enum);
const fields = (tool: ToolDefinition) => Object.keys(tool.parameters.properties as object);

/**
 * Anthropic's client tools (schema by Anthropic, run by the client): a provider tool carrying the
 * declaration as written for an Anthropic backend, and a function schema for the others.
 */
describe('frontends/anthropic client tools (bash, text editor, memory, computer use)', () => {
  it('decodes each family into a provider tool: the declaration as written (less cache_control), lip\'s description and input schema', () => {
    const call = decode([
      { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 10000, cache_control: { type: 'ephemeral', ttl: '1h' } },
      { type: 'bash_20250124', name: 'bash' },
      { type: 'memory_20250818', name: 'memory', strict: true },
      { type: 'computer_20250124', name: 'computer', display_width_px: 1024, display_height_px: 768, display_number: 1 },
      { name: 'get_weather', input_schema: { type: 'object' } },
    ]);
    expect(validateCall(call)).to.deep.equal([]);
    expect(call.tools.map((t) => [t.name, t.kind])).to.deep.equal([
      ['str_replace_based_edit_tool', 'provider'], ['bash', 'provider'], ['memory', 'provider'], ['computer', 'provider'], ['get_weather', undefined],
    ]);
    expect(call.tools.slice(0, 4).map((t) => t.providerTool)).to.deep.equal([
      { dialect: TOOL_DIALECTS.anthropic, definition: { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 10000 } },
      { dialect: TOOL_DIALECTS.anthropic, definition: { type: 'bash_20250124', name: 'bash' } },
      { dialect: TOOL_DIALECTS.anthropic, definition: { type: 'memory_20250818', name: 'memory', strict: true } },
      { dialect: TOOL_DIALECTS.anthropic, definition: { type: 'computer_20250124', name: 'computer', display_width_px: 1024, display_height_px: 768, display_number: 1 } },
    ]);
    expect(call.tools.map((t) => t.cache)).to.deep.equal([{ ttl: '1h' }, undefined, undefined, undefined, undefined]);
    expect(call.tools[2]!.strict).to.equal(true);
    for (const t of call.tools.slice(0, 4)) {
      expect(t.description).to.be.a('string').and.not.equal('');
      expect(t.parameters).to.include({ type: 'object' });
      expect(ajv.validateSchema(t.parameters), t.name).to.equal(true);
    }
    expect(call.tools[3]!.description).to.contain('1024x768 pixels (X11 display :1)');
  });

  it('takes older and newer versions of a family (bash_20241022, text_editor_20241022, computer_20251124)', () => {
    expect(one({ type: 'bash_20241022', name: 'bash' }).kind).to.equal('provider');
    expect(one({ type: 'text_editor_20241022', name: 'str_replace_editor' }).providerTool!.definition).to.deep.equal({ type: 'text_editor_20241022', name: 'str_replace_editor' });
    expect(one({ type: 'text_editor_20991231', name: 'str_replace_based_edit_tool' }).kind).to.equal('provider');
    expect(one({ type: 'computer_20251124', name: 'computer', display_width_px: 1280, display_height_px: 800, enable_zoom: true }).providerTool!.definition).to.deep.include({ enable_zoom: true });
  });

  it('carries the fields any tool may have apart from the declaration (defer_loading canonical; allowed_callers, input_examples, eager_input_streaming in the Anthropic bag)', () => {
    const tool = one({ type: 'bash_20250124', name: 'bash', defer_loading: false, allowed_callers: ['direct'], input_examples: [{ command: 'ls' }], eager_input_streaming: true });
    expect(tool.providerTool!.definition).to.deep.equal({ type: 'bash_20250124', name: 'bash' });
    expect(tool.deferLoading).to.equal(false);
    expect(tool.providerOptions).to.deep.equal({ anthropic: { allowedCallers: ['direct'], inputExamples: [{ command: 'ls' }], eagerInputStreaming: true } });
  });

  it('offers the text editor\'s commands by version (undo_edit before text_editor_20250429), insert\'s text as new_str in every version', () => {
    const legacy = one({ type: 'text_editor_20250124', name: 'str_replace_editor' });
    const current = one({ type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' });
    expect(enumOf(legacy, 'command')).to.deep.equal(['view', 'create', 'str_replace', 'insert', 'undo_edit']);
    expect(enumOf(current, 'command')).to.deep.equal(['view', 'create', 'str_replace', 'insert']);
    expect(fields(legacy)).to.include('new_str').and.not.include('insert_text');
    expect(fields(current)).to.include('new_str').and.not.include('insert_text');
    expect(current.parameters.required).to.deep.equal(['command', 'path']);
    expect(accepts(current, { command: 'str_replace', path: '/repo/a.py', old_str: 'x = 1', new_str: 'x = 2' })).to.equal(true);
    expect(accepts(current, { command: 'insert', path: '/repo/a.py', insert_line: 0, new_str: '# header\n' })).to.equal(true);
    expect(accepts(current, { command: 'view', path: '/repo/a.py', view_range: [1, -1] })).to.equal(true);
    expect(accepts(current, { command: 'undo_edit', path: '/repo/a.py' })).to.equal(false);
    expect(accepts(current, { command: 'view' })).to.equal(false);
  });

  it('offers bash a command or a restart, and the memory tool its six commands', () => {
    const bash = one({ type: 'bash_20250124', name: 'bash' });
    expect(accepts(bash, { command: 'ls -la' })).to.equal(true);
    expect(accepts(bash, { restart: true })).to.equal(true);
    const memory = one({ type: 'memory_20250818', name: 'memory' });
    expect(enumOf(memory, 'command')).to.deep.equal(['view', 'create', 'str_replace', 'insert', 'delete', 'rename']);
    expect(accepts(memory, { command: 'rename', old_path: '/memories/a.md', new_path: '/memories/b.md' })).to.equal(true);
    expect(accepts(memory, { command: 'create', path: '/memories/notes.md', file_text: 'likes tea' })).to.equal(true);
  });

  it('offers computer use the actions of its version (scroll and the others from computer_20250124, zoom only when enabled)', () => {
    const screen = { name: 'computer', display_width_px: 1024, display_height_px: 768 };
    const v1 = one({ type: 'computer_20241022', ...screen });
    const v2 = one({ type: 'computer_20250124', ...screen });
    const zoomed = one({ type: 'computer_20251124', ...screen, enable_zoom: true });
    expect(enumOf(v1, 'action')).to.not.include('scroll');
    expect(enumOf(v2, 'action')).to.include.members(['scroll', 'triple_click', 'hold_key', 'wait']).and.not.include('zoom');
    expect(enumOf(zoomed, 'action')).to.include('zoom');
    expect(fields(v1)).to.not.include('scroll_direction');
    expect(fields(zoomed)).to.include('region');
    expect(accepts(v2, { action: 'left_click', coordinate: [10, 20] })).to.equal(true);
    expect(accepts(v2, { action: 'scroll', coordinate: [10, 20], scroll_direction: 'down', scroll_amount: 3 })).to.equal(true);
    expect(accepts(v2, { action: 'left_click', coordinate: [10] })).to.equal(false);
    expect(accepts(zoomed, { action: 'zoom', region: [0, 0, 100, 100] })).to.equal(true);
    expect(v2.description).to.contain('1024x768 pixels;');
  });

  it('refuses a computer tool without its display size, or with a wrong type, with a 400 naming the field', () => {
    expect(decodeError([{ type: 'computer_20250124', name: 'computer', display_height_px: 768 }])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[0].display_width_px', message: 'tools[0].display_width_px: is required' });
    expect(decodeError([{ name: 'f', input_schema: { type: 'object' } }, { type: 'computer_20241022', name: 'computer', display_width_px: 1024 }])).to.deep.include({ param: 'tools[1].display_height_px' });
    expect(decodeError([{ type: 'computer_20250124', name: 'computer', display_width_px: '1024', display_height_px: 768 }])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[0].display_width_px' });
    expect(decodeError([{ type: 'computer_20250124', name: 'computer', display_width_px: 0, display_height_px: 768 }])).to.deep.include({ param: 'tools[0].display_width_px' });
    expect(decodeError([{ type: 'computer_20251124', name: 'computer', display_width_px: 1, display_height_px: 1, enable_zoom: 'yes' }])).to.deep.include({ param: 'tools[0].enable_zoom' });
    expect(decodeError([{ type: 'bash_20250124' }])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[0].name' });
  });

  it('still refuses the server tools lip does not pass (and malformed versions) with LIP_ERR_REQUEST_UNSUPPORTED naming tools[i].type', () => {
    const server = [
      'web_search_2025', 'web_search', 'web_fetch', 'web_fetch_2025', 'code_execution', 'code_execution_20250825_x', 'tool_search_tool_grep_20251119',
      'mcp_toolset_20251120', 'computer-toolset_20260801', 'text_editor', 'bash_2025', 'memory_20250818_x',
    ];
    for (const type of server) {
      const err = decodeError([{ name: 'f', input_schema: { type: 'object' } }, { type, name: 'x' }]);
      expect(err, type).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[1].type' });
      expect(err.message, type).to.contain(`"${type}" server tools are not supported`);
    }
  });
});
