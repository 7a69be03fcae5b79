import type { ToolDefinition } from '../../canonical/index.js';
import { HOSTED_DIALECTS, TOOL_DIALECTS } from '../../canonical/index.js';

type Json = Record<string, any>; // validated by generateContentSchema before any field is read
type Schema = Record<string, unknown>;

/** The environment whose predefined functions lip knows (and can offer another provider's model). */
const BROWSER = 'ENVIRONMENT_BROWSER';

/** A coordinate on the grid Gemini aims on: 0 to 999 across the screen, whatever its size in pixels. */
const coordinate = (axis: string): Schema => ({
  type: 'integer', minimum: 0, maximum: 999,
  description: `The ${axis} coordinate on a grid of 1000 x 1000 laid over the screen, 0 at the ${axis === 'x' ? 'left' : 'top'} edge (the client scales it to the screen's pixels).`,
});
const point = { x: coordinate('x'), y: coordinate('y') };
const direction = (what: string): Schema => ({ type: 'string', enum: ['up', 'down', 'left', 'right'], description: `Which way to scroll ${what}.` });
const none = (description: string) => ({ description, parameters: { type: 'object', properties: {} } });

/**
 * The functions Gemini's computer use predefines for a web browser (the Gemini 2.5 Computer Use
 * model and the Gemini 3 models; Google's reference client, google/computer-use-preview, runs
 * exactly these), with lip's own descriptions and schemas: what another provider's model is
 * offered in their place, so that it calls them with the arguments the client's runner takes
 * from Gemini. Each call is answered with the page's URL and a screenshot.
 */
const BROWSER_FUNCTIONS: Readonly<Record<string, { readonly description: string; readonly parameters: Schema }>> = {
  open_web_browser: none('Opens the web browser. Answers with the URL and a screenshot of the page, as every action does.'),
  click_at: { description: 'Clicks at a point of the page.', parameters: { type: 'object', properties: point, required: ['x', 'y'] } },
  hover_at: { description: 'Moves the pointer to a point of the page and leaves it there (menus that open on hover show).', parameters: { type: 'object', properties: point, required: ['x', 'y'] } },
  type_text_at: {
    description: 'Clicks at a point of the page (a text field) and types a text there.',
    parameters: {
      type: 'object',
      properties: {
        ...point,
        text: { type: 'string', description: 'The text to type.' },
        press_enter: { type: 'boolean', description: 'Whether to press Enter after typing.' },
        clear_before_typing: { type: 'boolean', description: 'Whether to clear what the field holds before typing.' },
      },
      required: ['x', 'y', 'text'],
    },
  },
  scroll_document: { description: 'Scrolls the whole page.', parameters: { type: 'object', properties: { direction: direction('the page') }, required: ['direction'] } },
  scroll_at: {
    description: 'Scrolls the part of the page at a point (a list or a pane that scrolls on its own).',
    parameters: {
      type: 'object',
      properties: { ...point, direction: direction('there'), magnitude: { type: 'integer', minimum: 0, maximum: 999, description: 'How far to scroll, in units of the same 1000 x 1000 grid.' } },
      required: ['x', 'y', 'direction'],
    },
  },
  wait_5_seconds: none('Waits 5 seconds, for the page to finish loading or an animation to end.'),
  go_back: none('Goes back to the previous page of the browser\'s history.'),
  go_forward: none('Goes forward to the next page of the browser\'s history.'),
  search: none('Opens a search engine\'s home page, to start a search.'),
  navigate: { description: 'Opens a URL.', parameters: { type: 'object', properties: { url: { type: 'string', description: 'The URL to open.' } }, required: ['url'] } },
  key_combination: {
    description: 'Presses a key or a combination of keys.',
    parameters: { type: 'object', properties: { keys: { type: 'string', description: 'The keys joined by "+", such as "enter" or "control+c".' } }, required: ['keys'] },
  },
  drag_and_drop: {
    description: 'Drags what is at a point of the page and drops it at another.',
    parameters: {
      type: 'object',
      properties: { ...point, destination_x: coordinate('x'), destination_y: coordinate('y') },
      required: ['x', 'y', 'destination_x', 'destination_y'],
    },
  },
};

/**
 * `computerUse` -> the tools of the call. Gemini runs no computer: it calls predefined functions
 * (`click_at`, `navigate`, ...) as ordinary function calls, which the client runs and answers with
 * the page's URL and a screenshot. In a browser (`ENVIRONMENT_BROWSER`) each predefined function
 * lip knows and the client did not exclude (`excludedPredefinedFunctions`) is a provider tool of
 * TOOL_DIALECTS.gemini, all with the declaration as written: a gemini backend sends that once, every
 * other offers the functions with lip's schemas. Another environment (mobile, desktop), whose
 * functions lip does not know, or a browser whose every known function is excluded, is one hosted
 * tool of HOSTED_DIALECTS.gemini named `computerUse`: only a gemini backend takes it.
 *
 * ```ts
 * computerUseTools({ environment: 'ENVIRONMENT_BROWSER', excludedPredefinedFunctions: ['drag_and_drop'] })
 * // [{ name: 'open_web_browser', kind: 'provider', description, parameters, providerTool: { dialect: 'gemini.tool', definition: { computerUse: {...} } } }, ... 12 in all]
 * ```
 */
export function computerUseTools(declared: Json): ToolDefinition[] {
  const definition = { computerUse: declared };
  const excluded = new Set<string>(declared.excludedPredefinedFunctions ?? []);
  const offered = declared.environment === BROWSER ? Object.entries(BROWSER_FUNCTIONS).filter(([name]) => !excluded.has(name)) : [];
  if (offered.length === 0) return [{ kind: 'hosted', name: 'computerUse', parameters: {}, providerTool: { dialect: HOSTED_DIALECTS.gemini, definition } }];
  return offered.map(([name, fn]) => ({ name, ...fn, kind: 'provider', providerTool: { dialect: TOOL_DIALECTS.gemini, definition } }));
}
