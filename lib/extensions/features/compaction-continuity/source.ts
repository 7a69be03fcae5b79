import type { Call, Message, Part } from '../../../canonical/index.js';
import type { PlanStep, StepStatus } from './capsule.js';

/** How much of one tool call's arguments, one tool result and one system message the transcript keeps. */
const TOOL_ARGS_CHARS = 600;
const TOOL_RESULT_CHARS = 400;
const SYSTEM_CHARS = 2_000;
/** The share of the budget the conversation's first user message (its task) may take. */
const FIRST_TASK_SHARE = 0.25;
/** What the task is cut with, and what the "messages left out" line and its separator may take. */
const CUT_MARK = ' [...]';
const OMITTED_RESERVE = 40;
const MIN_TRANSCRIPT_CHARS = 200;

/**
 * The conversation as the extractor reads it: a plain transcript, most recent turns first to be
 * kept within `maxChars` (about four characters a token), the first user message (the task)
 * kept ahead of them within a quarter of the budget (the whole never longer than `maxChars`).
 * Tool calls and results are cut short,
 * media and reasoning are named, not copied. `dropLast` leaves out the request's own last
 * message (the agent's compaction prompt).
 *
 * ```ts
 * transcriptOf(call, 48_000, true)
 * // '[user] fix add()\n\n[... 12 messages left out ...]\n\n[assistant] Done: ...'
 * ```
 */
export function transcriptOf(call: Call, maxChars: number, dropLast: boolean): string {
  const messages = dropLast ? call.messages.slice(0, -1) : call.messages;
  if (messages.length === 0 || maxChars < MIN_TRANSCRIPT_CHARS) return '';
  const firstUser = messages.findIndex((m) => m.role === 'user');
  let head = '';
  if (firstUser >= 0) {
    const rendered = render(messages[firstUser]!);
    const cap = Math.floor(maxChars * FIRST_TASK_SHARE);
    head = rendered.length <= cap ? rendered : `${rendered.slice(0, cap - CUT_MARK.length)}${CUT_MARK}`;
  }
  // What is left after the task, its separator and the line saying how many messages were left out.
  let budget = maxChars - head.length - 2 - OMITTED_RESERVE;
  const tail: string[] = [];
  let i = messages.length - 1;
  for (; i > firstUser; i--) {
    const rendered = render(messages[i]!);
    if (rendered.length === 0) continue;
    if (rendered.length + 2 > budget) break;
    tail.push(rendered);
    budget -= rendered.length + 2;
  }
  const skipped = i - firstUser;
  const parts = [...(head !== '' ? [head] : []), ...(skipped > 0 ? [`[... ${skipped} message${skipped === 1 ? '' : 's'} left out ...]`] : []), ...tail.reverse()];
  return parts.join('\n\n');
}

function render(message: Message): string {
  const lines: string[] = [];
  let text = '';
  const flush = () => {
    if (text.trim() !== '') lines.push(`[${message.role}] ${message.role === 'system' ? cut(text, SYSTEM_CHARS) : text}`);
    text = '';
  };
  for (const part of message.parts) {
    if (part.type === 'text') {
      text += part.text;
      continue;
    }
    flush();
    const line = partLine(part);
    if (line !== undefined) lines.push(line);
  }
  flush();
  return lines.join('\n');
}

function partLine(part: Part): string | undefined {
  switch (part.type) {
    case 'tool_call': return `[tool call ${part.name}] ${cut(part.arguments, TOOL_ARGS_CHARS)}`;
    case 'tool_result': {
      const content = typeof part.content === 'string' ? part.content : part.content.map((p) => (p.type === 'text' ? p.text : `[${p.type}]`)).join('');
      return `[tool result${part.name !== undefined ? ` ${part.name}` : ''}${part.isError ? ', error' : ''}] ${cut(content, TOOL_RESULT_CHARS)}`;
    }
    case 'reasoning': return undefined;
    case 'image': return '[image]';
    case 'file': return `[file${part.filename !== undefined ? ` ${part.filename}` : ''}]`;
    default: return `[${part.type}]`;
  }
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)} [... ${text.length - max} characters left out]`;
}

/**
 * The agent's own plan, from the last call of its planning tool in the conversation: Codex CLI's
 * `update_plan` (`plan: [{step, status}]`), Claude Code's `TodoWrite` and OpenCode's `todowrite`
 * (`todos: [{content, status}]`), Gemini CLI's `write_todos` (`todos: [{description, status}]`).
 * Undefined when there is none or its arguments are not that shape.
 */
export function planFromCarriers(call: Call): readonly PlanStep[] | undefined {
  for (let i = call.messages.length - 1; i >= 0; i--) {
    const message = call.messages[i]!;
    if (message.role !== 'assistant') continue;
    for (let j = message.parts.length - 1; j >= 0; j--) {
      const part = message.parts[j]!;
      if (part.type !== 'tool_call') continue;
      const carrier = CARRIERS.get(part.name.toLowerCase());
      if (carrier === undefined) continue;
      const steps = parseCarrier(part.arguments, carrier);
      if (steps !== undefined) return steps;
    }
  }
  return undefined;
}

interface Carrier { readonly list: string; readonly text: readonly string[] }

/** Maps, as STATUS: a tool's name and a step's status are the client's text (`constructor` must find nothing). */
const CARRIERS: ReadonlyMap<string, Carrier> = new Map(Object.entries({
  update_plan: { list: 'plan', text: ['step'] },
  todowrite: { list: 'todos', text: ['content'] },
  todo_write: { list: 'todos', text: ['content'] },
  write_todos: { list: 'todos', text: ['description', 'content'] },
}));

const STATUS: ReadonlyMap<string, StepStatus> = new Map(Object.entries<StepStatus>({
  pending: 'pending', todo: 'pending', not_started: 'pending',
  in_progress: 'in_progress', 'in-progress': 'in_progress', active: 'in_progress',
  completed: 'completed', done: 'completed', complete: 'completed',
  cancelled: 'cancelled', canceled: 'cancelled',
}));

const MAX_CARRIER_STEPS = 64;

function parseCarrier(args: string, carrier: Carrier): readonly PlanStep[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return undefined;
  }
  const list = (parsed as Record<string, unknown> | null)?.[carrier.list];
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const steps: PlanStep[] = [];
  for (const item of list.slice(0, MAX_CARRIER_STEPS)) {
    if (item === null || typeof item !== 'object') return undefined;
    const row = item as Record<string, unknown>;
    const text = carrier.text.map((k) => row[k]).find((v): v is string => typeof v === 'string' && v.trim() !== '');
    const status = typeof row.status === 'string' ? STATUS.get(row.status.toLowerCase()) : undefined;
    if (text === undefined || status === undefined) return undefined;
    steps.push({ text: text.trim(), status });
  }
  return steps;
}
