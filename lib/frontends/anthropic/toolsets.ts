import type { TextPart, ToolDefinition } from '../../canonical/index.js';
import { TOOL_DIALECTS } from '../../canonical/index.js';
import { cacheOf } from '../cache-control.js';
import { badField } from './decode-content.js';

type Json = Record<string, any>; // validated by messagesRequestSchema before any field is read
type Schema = Record<string, unknown>;

/** What a model of another provider is offered in one member's place. */
interface Member {
  readonly description: string;
  readonly parameters: Schema;
}

/** One of Anthropic's client-run toolsets: its family (the calls' `toolset_name`), its members, those off unless `configs` turns them on. */
interface Toolset {
  readonly family: string;
  readonly members: Readonly<Record<string, Member>>;
  readonly off: ReadonlySet<string>;
}

/** The fields a toolset declaration has; it has no `name`: each member is called by its own. */
const DECLARATION_FIELDS: ReadonlySet<string> = new Set(['type', 'configs', 'cache_control']);

const object = (properties: Record<string, Schema>, required: readonly string[] = []): Schema =>
  ({ type: 'object', properties, ...(required.length > 0 ? { required: [...required] } : {}) });
const string = (description: string): Schema => ({ type: 'string', description });
const numbers = (count: number, type: 'integer' | 'number', description: string): Schema =>
  ({ type: 'array', items: { type }, minItems: count, maxItems: count, description });
const seconds = (description: string, maximum?: number): Schema =>
  ({ type: 'number', minimum: 0, ...(maximum !== undefined ? { maximum } : {}), description });
const DIRECTION: Schema = { type: 'string', enum: ['up', 'down', 'left', 'right'], description: 'Which way to scroll.' };

// --- computer ---------------------------------------------------------------------------------------

const point = (description: string) => numbers(2, 'integer', `${description} [x, y] in screenshot pixels from the top-left corner.`);
const HELD = string('Keys to hold down during the action (`shift`, `ctrl+alt`).');
const click = (what: string): Member => ({
  description: `${what} at a point of the screen, or where the pointer is when no coordinate is given.`,
  parameters: object({ coordinate: point('Where to click:'), text: HELD }),
});

/**
 * The computer toolset's members (`computer_toolset_20260801`): a screen, a mouse and a keyboard,
 * one tool per action. The declaration names no display size: coordinates are in the pixels of
 * the screenshots the client returns, which the descriptions say.
 */
const COMPUTER: Readonly<Record<string, Member>> = {
  key: {
    description: 'Presses a key or a key combination (`Return`, `ctrl+s`, `alt+Tab`).',
    parameters: object({ text: string('The key or combination, modifiers joined with `+`.'), repeat: { type: 'integer', minimum: 1, description: 'How many times to press it (1 when absent).' } }, ['text']),
  },
  hold_key: {
    description: 'Holds a key or key combination down for a while, then releases it.',
    parameters: object({ text: string('The key or combination, as for `key`.'), duration: seconds('How long to hold it, in seconds.') }, ['text', 'duration']),
  },
  type: { description: 'Types a text with the keyboard.', parameters: object({ text: string('The text to type.') }, ['text']) },
  cursor_position: { description: 'Tells where the mouse pointer is, in screenshot pixels.', parameters: object({}) },
  mouse_move: { description: 'Moves the mouse pointer without clicking (to hover over something).', parameters: object({ coordinate: point('Where to move:') }, ['coordinate']) },
  left_mouse_down: { description: 'Presses the left mouse button where the pointer is and keeps it down.', parameters: object({}) },
  left_mouse_up: { description: 'Releases the left mouse button.', parameters: object({}) },
  left_click: click('Clicks the left mouse button'),
  left_click_drag: {
    description: 'Presses the left mouse button at one point, drags to another and releases it there.',
    parameters: object({ start_coordinate: point('Where the drag starts:'), coordinate: point('Where it ends:'), text: HELD }, ['start_coordinate', 'coordinate']),
  },
  right_click: click('Clicks the right mouse button'),
  middle_click: click('Clicks the middle mouse button'),
  double_click: click('Double-clicks the left mouse button'),
  triple_click: click('Triple-clicks the left mouse button'),
  scroll: {
    description: 'Turns the scroll wheel at a point of the screen, or where the pointer is when no coordinate is given.',
    parameters: object({
      scroll_direction: DIRECTION,
      scroll_amount: { type: 'integer', minimum: 1, description: 'How many clicks of the wheel.' },
      coordinate: point('Where to scroll:'),
      text: HELD,
    }, ['scroll_direction', 'scroll_amount']),
  },
  wait: { description: 'Waits, then lets you act again.', parameters: object({ duration: seconds('How long, in seconds.') }, ['duration']) },
  screenshot: { description: 'Takes a screenshot of the whole screen. Take one before acting on the screen: coordinates are in its pixels.', parameters: object({}) },
  zoom: {
    description: 'Takes a screenshot of one region of the screen, enlarged so that small details can be read.',
    parameters: object({ region: numbers(4, 'integer', '[x0, y0, x1, y1]: the top-left and bottom-right corners of the region, in screenshot pixels.') }, ['region']),
  },
};

// --- browser ----------------------------------------------------------------------------------------

const TAB = string('The tab to act on (a tab_id); the active tab when absent.');
const COORDINATE_TARGET: Schema = object({
  type: { type: 'string', enum: ['coordinate'] },
  x: { type: 'number', description: 'Pixels from the left edge of the viewport.' },
  y: { type: 'number', description: 'Pixels from the top edge of the viewport.' },
}, ['type', 'x', 'y']);
const REF_TARGET: Schema = object({
  type: { type: 'string', enum: ['ref'] },
  ref: string('An element reference (`ref_7`) from an earlier read_page or find of the same tab.'),
}, ['type', 'ref']);
const coordinateTarget = (description: string): Schema => ({ ...COORDINATE_TARGET, description: `${description} A point of the viewport, in the pixels of a screenshot of it.` });
const refTarget = (description: string): Schema => ({ ...REF_TARGET, description });
const clickTarget = (description: string): Schema => ({ anyOf: [COORDINATE_TARGET, REF_TARGET], description: `${description} A point of the viewport ({type: "coordinate", x, y}) or an element ({type: "ref", ref}).` });
const MODIFIERS = string('Keys to hold during the click (`shift`, `ctrl+shift`).');
const browserClick = (what: string): Member => ({
  description: `${what} at a point of the page or on an element.`,
  parameters: object({ target: clickTarget('Where to click.'), modifiers: MODIFIERS, tab_id: TAB }, ['target']),
});
const tabOnly = (description: string): Member => ({ description, parameters: object({ tab_id: TAB }) });

/**
 * The browser toolset's members (`browser_toolset_20260801`): a browser driven through its tabs,
 * pages, elements and input. Elements are named by the references `read_page` and `find` return.
 */
const BROWSER: Readonly<Record<string, Member>> = {
  navigate: {
    description: 'Opens a URL in a tab (https:// when no scheme is given), or goes `back`, `forward` or `reload`s.',
    parameters: object({ url: string('The URL, or one of back, forward, reload.'), tab_id: TAB }, ['url']),
  },
  list_tabs: { description: 'Lists the open tabs with their tab_id, title and URL.', parameters: object({}) },
  new_tab: { description: 'Opens a new empty tab and makes it the active one.', parameters: object({}) },
  switch_tab: { description: 'Makes a tab the active one: actions without a tab_id act on it.', parameters: object({ tab_id: string('The tab to switch to.') }, ['tab_id']) },
  close_tab: { description: 'Closes a tab.', parameters: object({ tab_id: string('The tab to close.') }, ['tab_id']) },
  read_page: {
    description: 'Reads the page (or the part under one element) as an accessibility tree whose elements carry references (`ref_7`) for later actions.',
    parameters: object({
      filter: { type: 'string', enum: ['interactive', 'all'], description: 'interactive: interactive elements only; all: off-screen elements too; absent: every visible element.' },
      depth: { type: 'integer', minimum: 1, description: 'How deep to read the tree (15 when absent).' },
      ref: string('The element whose subtree to read; the whole page when absent.'),
      tab_id: TAB,
    }),
  },
  get_page_text: tabOnly('Returns the text of the page, its main article first: for reading documents and articles.'),
  read_console: tabOnly('Returns the console messages (logs, warnings, errors) of a tab since the last read, one a line.'),
  read_network: tabOnly('Returns the network requests of a tab since the last read (method, URL, status, type, timing), one a line.'),
  find: {
    description: 'Finds the elements of the page that match a description in words (`the search box`), with their references.',
    parameters: object({ query: string('What to find, in words.'), tab_id: TAB }, ['query']),
  },
  form_input: {
    description: 'Sets the value of a form element: a text field, a select (an option\'s value or text), a checkbox (true or false).',
    parameters: object({ target: refTarget('The form element.'), value: { type: ['string', 'number', 'boolean'], description: 'The value to set.' }, tab_id: TAB }, ['target', 'value']),
  },
  file_upload: {
    description: 'Puts files into a file input element, by path or by document id (one of the two at least).',
    parameters: object({
      target: refTarget('The file input element.'),
      paths: { type: 'array', items: { type: 'string' }, description: 'Paths of the files on the machine that runs the browser.' },
      document_ids: { type: 'array', items: { type: 'string' }, description: 'Ids of files the user made available.' },
      tab_id: TAB,
    }, ['target']),
  },
  scroll_to: { description: 'Scrolls an element into view.', parameters: object({ target: refTarget('The element.'), tab_id: TAB }, ['target']) },
  screenshot: tabOnly('Takes a screenshot of the viewport of a tab.'),
  zoom: {
    description: 'Takes a screenshot of one region of the viewport, enlarged so that small details can be read.',
    parameters: object({ region: numbers(4, 'number', '[x0, y0, x1, y1]: the corners of the region, in the pixels of a screenshot of the viewport.'), tab_id: TAB }, ['region']),
  },
  left_click: browserClick('Clicks the left mouse button'),
  right_click: browserClick('Clicks the right mouse button'),
  middle_click: browserClick('Clicks the middle mouse button'),
  double_click: browserClick('Double-clicks'),
  triple_click: browserClick('Triple-clicks (selects a line or a paragraph)'),
  hover: { description: 'Moves the pointer over a point or an element without clicking.', parameters: object({ target: clickTarget('Where to hover.'), tab_id: TAB }, ['target']) },
  left_click_drag: {
    description: 'Presses the left mouse button at one point, drags to another and releases it there.',
    parameters: object({ from: coordinateTarget('Where the drag starts.'), target: coordinateTarget('Where it ends.'), tab_id: TAB }, ['from', 'target']),
  },
  left_mouse_down: { description: 'Presses the left mouse button at a point and keeps it down.', parameters: object({ target: coordinateTarget('Where to press.'), tab_id: TAB }, ['target']) },
  left_mouse_up: { description: 'Releases the left mouse button at a point.', parameters: object({ target: coordinateTarget('Where to release.'), tab_id: TAB }, ['target']) },
  mouse_move: { description: 'Moves the pointer to a point without clicking.', parameters: object({ target: coordinateTarget('Where to move.'), tab_id: TAB }, ['target']) },
  scroll: {
    description: 'Turns the scroll wheel at a point of the viewport.',
    parameters: object({
      scroll_direction: DIRECTION,
      target: coordinateTarget('Where to scroll.'),
      scroll_amount: { type: 'integer', minimum: 1, maximum: 10, description: 'How many clicks of the wheel (3 when absent).' },
      tab_id: TAB,
    }, ['scroll_direction', 'target']),
  },
  type: { description: 'Types a text where the focus is.', parameters: object({ text: string('The text to type.'), tab_id: TAB }, ['text']) },
  key: {
    description: 'Presses a key, a combination (`ctrl+a`) or several in turn (`Backspace Backspace`).',
    parameters: object({ text: string('The keys: modifiers joined with `+`, presses separated by spaces.'), repeat: { type: 'integer', minimum: 1, description: 'How many times (1 when absent).' }, tab_id: TAB }, ['text']),
  },
  hold_key: {
    description: 'Holds a key or combination down for a while, then releases it.',
    parameters: object({ text: string('The key or combination, as for `key`.'), duration: seconds('How long, in seconds.', 30), tab_id: TAB }, ['text', 'duration']),
  },
  wait: { description: 'Waits, then lets you act again.', parameters: object({ duration: seconds('How long, in seconds.', 30), tab_id: TAB }, ['duration']) },
  javascript_exec: {
    description: 'Runs JavaScript in the page and returns the value of its last expression (write an expression, not a `return`).',
    parameters: object({ text: string('The JavaScript to run.'), tab_id: TAB }, ['text']),
  },
};

/**
 * The toolsets by declaration type. The browser's members that read the console and the network,
 * run JavaScript or upload files are off unless `configs` turns them on; every computer member is
 * on unless turned off.
 */
const TOOLSETS: Readonly<Record<string, Toolset>> = {
  computer_toolset_20260801: { family: 'computer', members: COMPUTER, off: new Set() },
  browser_toolset_20260801: { family: 'browser', members: BROWSER, off: new Set(['read_console', 'read_network', 'javascript_exec', 'file_upload']) },
};

/** Whether a tool `type` names one of Anthropic's client-run toolsets. */
export function isToolset(type: unknown): boolean {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(TOOLSETS, type);
}

/**
 * A toolset declaration as the provider tools of its enabled members (ToolDefinition.toolset):
 * each named by the member, with lip's description and input schema, all carrying the declaration
 * as written less its cache mark, which the last member carries (so that the mark stays at the end
 * of the toolset for every backend). A member is enabled by `configs.<member>.enabled`, else by
 * its default; its `defer_loading` is the member's deferral. A field the declaration does not
 * have, a member the toolset does not have, a toolset that disables every member and enabled
 * members that disagree on `defer_loading` (Anthropic requires them to agree) are 400s naming the
 * field.
 *
 * ```ts
 * toolsetTools({ type: 'computer_toolset_20260801', configs: { zoom: { enabled: false } } }, 0)
 * // [{ name: 'key', kind: 'provider', toolset: 'computer', description, parameters,
 * //    providerTool: { dialect: 'anthropic.tool', definition: { type: 'computer_toolset_20260801', configs: {...} } } }, ...]
 * ```
 */
export function toolsetTools(t: Json, i: number): ToolDefinition[] {
  const set = TOOLSETS[t.type as string]!;
  const path = `tools[${i}]`;
  const extra = Object.keys(t).find((key) => !DECLARATION_FIELDS.has(key));
  if (extra !== undefined) throw badField(`${path}.${extra}`, 'is not a field of a toolset (a toolset declares type, configs and cache_control; its members are named by the toolset)');
  const configs: Json = t.configs ?? {};
  const unknown = Object.keys(configs).find((name) => !Object.prototype.hasOwnProperty.call(set.members, name));
  if (unknown !== undefined) throw badField(`${path}.configs.${unknown}`, `is not a member of the ${set.family} toolset (members: ${Object.keys(set.members).join(', ')})`);
  const enabled = Object.keys(set.members).filter((name) => configs[name]?.enabled ?? !set.off.has(name));
  if (enabled.length === 0) throw badField(`${path}.configs`, `disables every member of the ${set.family} toolset`);
  const deferred = enabled.map((name) => configs[name]?.defer_loading === true);
  const odd = enabled.find((_, k) => deferred[k] !== deferred[0]);
  if (odd !== undefined) throw badField(`${path}.configs.${odd}.defer_loading`, `must be the same on every enabled member of the ${set.family} toolset`);
  const { cache_control: _mark, ...definition } = t;
  const providerTool = { dialect: TOOL_DIALECTS.anthropic, definition };
  return enabled.map((name, k) => ({
    name, ...set.members[name]!, kind: 'provider', toolset: set.family, providerTool,
    ...(deferred[0] ? { deferLoading: true } : {}),
    ...(k === enabled.length - 1 ? cacheOf(t) : {}),
  }));
}

/**
 * The toolset of each member the call declares, by member name; undefined when it declares none
 * (the common case costs one pass over the tools).
 */
export function declaredMembers(tools: readonly ToolDefinition[]): ReadonlyMap<string, string> | undefined {
  let members: Map<string, string> | undefined;
  for (const t of tools) if (t.toolset !== undefined) (members ??= new Map()).set(t.name, t.toolset);
  return members;
}

/**
 * The `toolset_name` a tool_use block of the answer carries: the toolset the upstream named (an
 * Anthropic backend's), else the one the called tool is a member of (another backend's model
 * called the member by its name).
 */
export function toolsetNameOf(call: { readonly name: string; readonly toolset?: string }, members: ReadonlyMap<string, string> | undefined): { toolset_name?: string } {
  const toolset = call.toolset ?? members?.get(call.name);
  return toolset !== undefined ? { toolset_name: toolset } : {};
}

/**
 * A `browser_state` block (the browser's tabs after a member's call, and what the call changed)
 * as text for a model that does not read the block: one line of tabs, one of changes when there
 * are any.
 *
 * ```ts
 * browserStateText({ type: 'browser_state', tabs: [{ tab_id: 't1', title: 'Docs', url: 'https://x.dev/', active: true }] })
 * // { type: 'text', text: 'Browser tabs: t1 "Docs" https://x.dev/ (active).' }
 * ```
 */
export function browserStateText(b: Json): TextPart {
  const tabs = (b.tabs as Json[]).map((tab) => `${tab.tab_id} ${tab.title ? `${JSON.stringify(tab.title)} ` : ''}${tab.url || 'about:blank'}${tab.active === true ? ' (active)' : ''}`);
  const changes = ((b.state_changes ?? []) as Json[]).map(stateChange);
  const text = `Browser tabs: ${tabs.length > 0 ? tabs.join('; ') : 'none'}.${changes.length > 0 ? `\nChanged by this action: ${changes.join('; ')}.` : ''}`;
  return { type: 'text', text, ...cacheOf(b) };
}

/** One state change in words (`tab t2 opened`, `download d1 completed: https://x/a.pdf, 1200 bytes, saved as /tmp/a.pdf`). */
function stateChange(c: Json): string {
  switch (c.type) {
    case 'tab_opened': return `tab ${String(c.tab_id)} opened`;
    case 'download_started': return `download ${String(c.download_id)} started: ${String(c.url)}`;
    case 'download_completed': {
      const details = [c.url, typeof c.size_bytes === 'number' ? `${c.size_bytes} bytes` : undefined, typeof c.path === 'string' ? `saved as ${c.path}` : undefined];
      return `download ${String(c.download_id)} completed: ${details.filter((d) => d !== undefined).join(', ')}`;
    }
    case 'download_failed': return `download ${String(c.download_id)} failed: ${String(c.url)}${typeof c.error === 'string' ? ` (${c.error})` : ''}`;
    default: return String(c.type);
  }
}
