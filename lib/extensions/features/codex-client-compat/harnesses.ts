import type { Call } from '../../../canonical/index.js';

/**
 * One coding-agent harness the Codex model is bridged to: how it is recognised (its
 * User-Agent, then its prompt), which of its system texts are harness boilerplate to drop, and
 * the bridge block that tells the model how to work inside it. The blocks are lip's own words;
 * each starts with its marker line and ends with the rule about file tools.
 */
export interface Harness {
  readonly name: string;
  /** The first line of the bridge block; its presence means the block is already there. */
  readonly marker: string;
  matchesAgent(agent: string): boolean;
  matchesPrompt(prompt: string): boolean;
  /** A system text of the harness's own that the bridge replaces. */
  isHarnessText(text: string): boolean;
  bridge(call: Call): string;
}

const has = (text: string, ...needles: string[]) => needles.some((n) => text.includes(n));

/** The closing rule of every bridge: file work goes through the harness's tools, not the shell. */
function fileToolRule(agent: string): string {
  return `CRITICAL INSTRUCTION: look at, search and change files only with the tools ${agent} gives you. `
    + 'Do not run `cat` in a shell to print a file or to create or append to one (no heredocs either), '
    + `and do not use \`ls\` to list, \`cat\` to read or \`grep\` to search when ${agent} has a tool for it.`;
}

function block(marker: string, lines: readonly string[], agent: string): string {
  return [`${marker}:`, ...lines.map((l) => `- ${l}`), fileToolRule(agent)].join('\n');
}

const OPENCODE_MARKER = 'OpenCode compatibility mode';

export const OPENCODE: Harness = {
  name: 'opencode',
  marker: OPENCODE_MARKER,
  matchesAgent: (agent) => agent.toLowerCase().includes('opencode'),
  matchesPrompt: (prompt) => {
    const p = prompt.toLowerCase();
    return p.includes('opencode') && has(p, 'compatibility', 'harness', 'tool');
  },
  isHarnessText: (text) => {
    const t = text.toLowerCase();
    return t.includes('opencode') && t.includes('tool');
  },
  bridge: (call) => block(OPENCODE_MARKER, [
    'You work inside OpenCode, not the Codex CLI: the tools of this request are OpenCode\'s, and they are how you act on the workspace.',
    call.tools.length > 0
      ? 'Call a tool by its exact name with arguments that fit its schema; never call a tool that is not offered.'
      : 'No tool is offered in this turn: answer in text and do not try to call one.',
    'Tool calls and results earlier in the conversation came from OpenCode; build on them instead of repeating them.',
    'Keep progress notes short; give the final answer as plain text.',
  ], 'OpenCode'),
};

const PI_MARKER = 'Pi compatibility mode';
const PI_PROMPT = ['operating inside pi', 'coding agent harness', 'available tools:', 'in addition to the tools above', 'guidelines:'];

export const PI: Harness = {
  name: 'pi',
  marker: PI_MARKER,
  matchesAgent: (agent) => has(agent.toLowerCase(), '@mariozechner/pi-coding-agent', 'pi-coding-agent', ' pi/'),
  matchesPrompt: (prompt) => {
    const p = prompt.toLowerCase();
    return PI_PROMPT.filter((m) => p.includes(m)).length >= 2;
  },
  isHarnessText: (text) => text.toLowerCase().includes('operating inside pi'),
  bridge: () => block(PI_MARKER, [
    'You work inside the Pi coding agent: use the tools this request offers, by their exact names, to read and change the project.',
    'Make focused edits with Pi\'s editing tool rather than rewriting whole files through the shell.',
    'Say briefly what you changed when you are done.',
  ], 'Pi'),
};

const DROID_MARKER = 'Factory Droid compatibility mode';
const DROID_TOOLS = ['Create', 'Edit', 'Execute', 'ExitSpecMode', 'FetchUrl', 'Glob', 'Grep', 'LS', 'Read', 'TodoWrite', 'WebSearch'];

export const DROID: Harness = {
  name: 'droid',
  marker: DROID_MARKER,
  matchesAgent: (agent) => has(agent.toLowerCase(), 'factory-cli', 'factory_cli', 'factorydroid', 'droid'),
  matchesPrompt: (prompt) => has(prompt.toLowerCase(), 'you are droid', 'droid, an ai', 'factory droid'),
  isHarnessText: (text) => {
    const t = text.toLowerCase();
    return t.includes('factory droid') && t.includes('execute') && t.includes('todowrite');
  },
  bridge: (call) => {
    const offered = new Set(call.tools.map((t) => t.name));
    const native = DROID_TOOLS.filter((name) => offered.has(name));
    return block(DROID_MARKER, [
      'You work inside Factory Droid: its tools, not a Codex sandbox, are how you touch the workspace.',
      native.length > 0 ? `Droid's own tools in this request: ${native.map((n) => `\`${n}\``).join(', ')}.` : 'Use the tools this request offers, by their exact names.',
      'Run commands with `Execute` only for what no other tool does (builds, tests, git).',
      'Track multi-step work with `TodoWrite` when it is offered.',
    ], 'Factory Droid');
  },
};

const HERMES_MARKER = 'Hermes Agent compatibility mode';
const HERMES_IDENTITY = 'you are hermes agent, an intelligent ai assistant created by nous research.';

export const HERMES: Harness = {
  name: 'hermes',
  marker: HERMES_MARKER,
  matchesAgent: (agent) => has(agent.toLowerCase(), 'hermes-agent', 'nousresearch/hermes-agent', 'hermes/'),
  matchesPrompt: (prompt) => prompt.toLowerCase().includes(HERMES_IDENTITY),
  isHarnessText: (text) => text.includes(HERMES_MARKER),
  bridge: () => block(HERMES_MARKER, [
    'You work inside Hermes Agent: its tools are offered in this request; call them by their exact names.',
    'Tool arguments may leave out optional fields; send only what the task needs.',
    'Several independent tool calls may go out together.',
  ], 'Hermes Agent'),
};

/** In detection order: an agent match of any harness wins over a prompt match. */
export const HARNESSES: readonly Harness[] = [OPENCODE, PI, DROID, HERMES];
