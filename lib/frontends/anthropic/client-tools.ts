import type { ToolDefinition } from '../../canonical/index.js';
import { TOOL_DIALECTS } from '../../canonical/index.js';
import { cacheOf } from '../cache-control.js';

type Json = Record<string, any>; // validated by messagesRequestSchema before any field is read
type Schema = Record<string, unknown>;

/**
 * Anthropic's client tools: tools whose schema Anthropic defines and the client runs, typed by
 * family and the date of the version (`text_editor_20250728`). A newer version of a known family
 * is taken too; the server tools, which Anthropic runs itself (`web_search_…`,
 * `code_execution_…`, `tool_search_tool_…`, ...: web-search-tool.ts, hosted-tools.ts), match none
 * of the families.
 */
const CLIENT_TOOL = /^(bash|text_editor|memory|computer)_(\d{8})$/;

/**
 * Fields lip carries apart from a client or web search tool's declaration: `cache_control` (the
 * tool's cache mark) and the fields any tool may have (toolFields). An Anthropic backend writes
 * them back on the tool; a hosted server tool's own declaration keeps them as written
 * (hosted-tools.ts).
 */
export const CARRIED_APART = new Set(['cache_control', 'defer_loading', 'allowed_callers', 'input_examples', 'eager_input_streaming']);

/**
 * The fields of a tool declaration that only tool search and Anthropic's models read (types
 * checked by the request schema; `null` is not set): `defer_loading` as `deferLoading` (the tool
 * reaches the model once a tool search found it: Claude Code's MCP tools with tool search on), and
 * `allowed_callers` (code execution may call the tool: programmatic tool calling),
 * `input_examples` and `eager_input_streaming` in the tool's Anthropic bag, which only an
 * Anthropic backend sends.
 *
 * ```ts
 * toolFields({ name: 'f', defer_loading: true, allowed_callers: ['code_execution_20250825'] })
 * // { deferLoading: true, providerOptions: { anthropic: { allowedCallers: ['code_execution_20250825'] } } }
 * ```
 */
export function toolFields(t: Json): Pick<ToolDefinition, 'deferLoading' | 'providerOptions'> {
  const bag = Object.fromEntries(([['allowedCallers', t.allowed_callers], ['inputExamples', t.input_examples], ['eagerInputStreaming', t.eager_input_streaming]] as const)
    .filter(([, value]) => value !== undefined && value !== null));
  return {
    ...(typeof t.defer_loading === 'boolean' ? { deferLoading: t.defer_loading } : {}),
    ...(Object.keys(bag).length > 0 ? { providerOptions: { anthropic: bag } } : {}),
  };
}

/** Whether a tool `type` names one of Anthropic's client tools. */
export function isClientTool(type: unknown): boolean {
  return typeof type === 'string' && CLIENT_TOOL.test(type);
}

/**
 * A client tool as a provider tool: its definition as the client wrote it (less the fields lip
 * carries apart: its cache mark, deferral and callers), for an Anthropic backend to send back,
 * and for every other backend a description and an input schema of lip's own, by family and
 * version, so that another provider's model can call it as a function of that name with the
 * input the client's runner takes from Claude.
 *
 * ```ts
 * clientTool({ type: 'bash_20250124', name: 'bash' })
 * // { name: 'bash', kind: 'provider', description, parameters: { type: 'object', properties: { command, restart } },
 * //   providerTool: { dialect: 'anthropic.tool', definition: { type: 'bash_20250124', name: 'bash' } } }
 * ```
 */
export function clientTool(t: Json): ToolDefinition {
  const [, family, version] = CLIENT_TOOL.exec(t.type as string)!;
  const offered = FAMILIES[family!]!(version!, t);
  return {
    name: t.name,
    ...offered,
    kind: 'provider',
    providerTool: { dialect: TOOL_DIALECTS.anthropic, definition: Object.fromEntries(Object.entries(t).filter(([key]) => !CARRIED_APART.has(key))) },
    ...(t.strict === true ? { strict: true } : {}),
    ...toolFields(t),
    ...cacheOf(t),
  };
}

/** What a model of another provider is offered in a client tool's place. */
interface Offered {
  readonly description: string;
  readonly parameters: Schema;
}

const FAMILIES: Readonly<Record<string, (version: string, t: Json) => Offered>> = { bash, text_editor: textEditor, memory, computer };

/** A string property; an array of `count` integers (a coordinate, a line range, a region). */
const stringField = (description: string): Schema => ({ type: 'string', description });
const integerList = (count: number, description: string): Schema => ({ type: 'array', items: { type: 'integer' }, minItems: count, maxItems: count, description });

/** Properties the text editor and the memory tool share (both edit files the same way). */
const FILE_PROPERTIES: Readonly<Record<string, Schema>> = {
  view_range: integerList(2, 'view of a file: the first and last line to show, counted from 1; -1 as the last shows to the end of the file.'),
  file_text: stringField('create: the whole content of the new file.'),
  old_str: stringField('str_replace: the text to replace, exactly as it is in the file (whitespace included); it must occur exactly once.'),
  insert_line: { type: 'integer', minimum: 0, description: 'insert: the number of the line after which the text goes (0: at the start of the file).' },
};

/** The shell: one command at a time in a session that persists between calls. */
function bash(): Offered {
  return {
    description: 'Runs a command in a bash shell on the user\'s machine and returns its output. The shell session persists between calls (working directory, environment variables, background processes); restart it with `restart: true` instead of a command.',
    parameters: {
      type: 'object',
      properties: {
        command: stringField('The command line to run. Required unless restart is true.'),
        restart: { type: 'boolean', description: 'true: end the current shell session and start a new one.' },
      },
    },
  };
}

/**
 * The text editor. Versions before `text_editor_20250429` (tool name `str_replace_editor`) have
 * `undo_edit`; the later ones have none. Every version takes the text of `insert` as `new_str`
 * (Anthropic's documented input, and so what the client's editor reads).
 */
function textEditor(version: string): Offered {
  const legacy = version < '20250429';
  const commands = ['view', 'create', 'str_replace', 'insert', ...(legacy ? ['undo_edit'] : [])];
  return {
    description: `Views, creates and edits text files on the user's machine. \`view\` shows a file with line numbers, or lists a directory; \`create\` writes a new file; \`str_replace\` replaces one exact, unique occurrence of a text; \`insert\` adds text after a given line${legacy ? '; `undo_edit` reverts the last edit of a file' : ''}.`,
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string', enum: commands, description: 'What to do.' },
        path: stringField('The absolute path of the file or directory.'),
        ...FILE_PROPERTIES,
        new_str: stringField('str_replace: the text that takes the place of old_str (absent: old_str is deleted); insert: the text to insert.'),
      },
      required: ['command', 'path'],
    },
  };
}

/** The memory tool: file commands on the client's memory directory, `/memories`. */
function memory(): Offered {
  return {
    description: 'Reads and writes the files of the user\'s memory directory, /memories, which persists across conversations. `view` lists a directory or shows a file with line numbers; `create` writes a file; `str_replace` replaces one exact, unique occurrence of a text; `insert` adds text after a given line; `delete` removes a file or directory; `rename` moves one.',
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string', enum: ['view', 'create', 'str_replace', 'insert', 'delete', 'rename'], description: 'What to do.' },
        path: stringField('The path of the file or directory, under /memories. Required by every command but rename.'),
        ...FILE_PROPERTIES,
        new_str: stringField('str_replace: the text that takes the place of old_str.'),
        insert_text: stringField('insert: the text to insert.'),
        old_path: stringField('rename: the current path, under /memories.'),
        new_path: stringField('rename: the new path, under /memories.'),
      },
      required: ['command'],
    },
  };
}

const COMPUTER_ACTIONS = ['screenshot', 'cursor_position', 'mouse_move', 'left_click', 'right_click', 'middle_click', 'double_click', 'left_click_drag', 'key', 'type'];
/** Added by `computer_20250124`. */
const COMPUTER_ACTIONS_20250124 = ['triple_click', 'left_mouse_down', 'left_mouse_up', 'scroll', 'hold_key', 'wait'];

/**
 * Computer use: a screen, a mouse and a keyboard. `computer_20250124` added actions (scrolling,
 * holding keys and buttons, waiting), clicks at a coordinate and drags from `start_coordinate`;
 * the earlier version clicks where the pointer is and drags from there. `zoom` exists when the
 * client enabled it (`enable_zoom`, `computer_20251124`). The display's size (required, checked
 * by the request schema) goes into the description: the model needs it to aim.
 */
function computer(version: string, t: Json): Offered {
  const current = version >= '20250124';
  const zoom = t.enable_zoom === true;
  const actions = [...COMPUTER_ACTIONS, ...(current ? COMPUTER_ACTIONS_20250124 : []), ...(zoom ? ['zoom'] : [])];
  const display = `${t.display_width_px}x${t.display_height_px} pixels${typeof t.display_number === 'number' ? ` (X11 display :${t.display_number})` : ''}`;
  return {
    description: `Operates the user's computer through its screen, mouse and keyboard. The display is ${display}; coordinates are [x, y] in pixels from its top-left corner. Take a screenshot to see the screen before acting on it.`,
    parameters: {
      type: 'object',
      properties: {
        action: { type: 'string', enum: actions, description: 'What to do.' },
        coordinate: integerList(2, current
          ? '[x, y]: where mouse_move moves the pointer, where a click or scroll happens (absent: at the pointer), where left_click_drag ends.'
          : '[x, y]: where mouse_move moves the pointer and where left_click_drag ends (clicks happen at the pointer).'),
        text: stringField(current
          ? 'type: the text to type; key and hold_key: the key or combination, in xdotool syntax (`Return`, `ctrl+s`); clicks and scroll: keys to hold down meanwhile.'
          : 'type: the text to type; key: the key or combination, in xdotool syntax (`Return`, `ctrl+s`).'),
        ...(current ? {
          start_coordinate: integerList(2, 'left_click_drag: [x, y] where the drag starts.'),
          scroll_direction: { type: 'string', enum: ['up', 'down', 'left', 'right'], description: 'scroll: the direction.' },
          scroll_amount: { type: 'integer', minimum: 0, description: 'scroll: how many clicks of the scroll wheel.' },
          duration: { type: 'number', minimum: 0, description: 'hold_key and wait: how long, in seconds.' },
        } : {}),
        ...(zoom ? { region: integerList(4, 'zoom: [x1, y1, x2, y2], the top-left and bottom-right corners of the area to view at full resolution.') } : {}),
      },
      required: ['action'],
    },
  };
}
