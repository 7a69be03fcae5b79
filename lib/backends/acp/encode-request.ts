import { createHash } from 'node:crypto';
import type { Call, Message, Part } from '../../canonical/index.js';
import { holdsAddedTools } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { searchResultText } from '../search-results.js';
import { forHostedDialect } from '../hosted-tools.js';

/**
 * What an agent already holds of a conversation: how many canonical messages it was sent and
 * a hash over them. A live agent keeps its own context, so the next turn sends only the tail.
 */
export interface HistoryMark {
  readonly count: number;
  readonly hash: string;
}

/** The text blocks of one `session/prompt`, and the mark to keep once the turn is sent. */
export interface PromptPlan {
  readonly text: string;
  readonly mark: HistoryMark;
  /** The agent's context no longer matches the call: end the process and start afresh. */
  readonly reset: boolean;
}

const ROLE_LABEL: Record<Message['role'], string> = { system: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool' };

/**
 * ACP v1 prompt turns carry content, not tool schemas: a call with tool definitions (its own or
 * tools its history adds, HostedToolPart.tools), tool calls or tool results cannot be served.
 * Retryable so that a route can move on to a backend that can. The call as the agent gets it:
 * hosted work of a provider left out, a history a provider compacted read from its summary
 * (forHostedDialect).
 */
export function checkPromptable(given: Call, backend: string): Call {
  const call = forHostedDialect(given, backend);
  const toolPart = call.messages.some((m) => m.parts.some((p) => p.type === 'tool_call' || p.type === 'tool_result'));
  if (call.tools.length > 0 || toolPart || holdsAddedTools(given.messages)) {
    throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `acp backend ${backend} takes no tool definitions, tool calls or tool results (an agent runs its own tools)`, {
      retryable: true, detail: { backend },
    });
  }
  if (!call.messages.some((m) => m.role === 'user')) {
    throw new LipError('LIP_ERR_REQUEST_INVALID', `acp backend ${backend} needs at least one user message`, { detail: { backend } });
  }
  return call;
}

function partText(part: Part): string {
  switch (part.type) {
    case 'text': return part.text;
    case 'image': return `[image: ${part.url && !part.url.startsWith('data:') ? part.url : part.mediaType ?? 'inline'}]`;
    case 'file': return `[file: ${part.filename ?? part.fileId ?? part.url ?? part.mediaType ?? 'inline'}]`;
    case 'search_result': return searchResultText(part).text;
    default: return ''; // reasoning of other providers is not replayed to an agent
  }
}

/** One message as `**Role:** text`. */
export function renderMessage(message: Message): string {
  const text = message.parts.map(partText).filter((t) => t !== '').join('\n');
  return `**${ROLE_LABEL[message.role]}:** ${text}`;
}

/** The system instructions and the messages as the agent's transcript, in order. */
function transcript(call: Call): Message[] {
  return call.system.length > 0 ? [{ role: 'system', parts: call.system }, ...call.messages] : [...call.messages];
}

function hashOf(messages: readonly Message[]): string {
  const h = createHash('sha256');
  for (const m of messages) h.update(JSON.stringify([m.role, m.parts.map(partText)])).update('\n');
  return h.digest('hex');
}

/**
 * The whole history for a fresh agent: the leading instructions, earlier turns as context,
 * then the last turn.
 */
function fullPrompt(messages: readonly Message[]): string {
  let lead = 0;
  while (lead < messages.length && messages[lead]!.role === 'system') lead++;
  const instructions = messages.slice(0, lead).map(renderMessage);
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  const earlier = messages.slice(lead, lastUser);
  const current = messages.slice(lastUser).filter((m) => m.role !== 'assistant').map(renderMessage).join('\n\n');
  const context = earlier.length === 0 ? [] : ['Previous Context:', ...earlier.map(renderMessage), '---'];
  return [...instructions, ...context, current].join('\n\n');
}

/**
 * Plans the next prompt for an agent holding `mark` (none for a fresh agent):
 * * fresh agent: the whole history;
 * * the call extends what the agent holds: only the new messages (the agent's own reply, which
 *   the client sends back as an assistant message, is skipped);
 * * the same history again (a retry): the last user message only;
 * * anything else means the client edited the history: `reset`, then the whole history.
 */
export function planPrompt(call: Call, mark: HistoryMark | undefined): PromptPlan {
  const messages = transcript(call);
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  const newMark = { count: messages.length, hash: hashOf(messages) };
  if (!mark) return { text: fullPrompt(messages), mark: newMark, reset: false };
  const prefixMatches = messages.length >= mark.count && hashOf(messages.slice(0, mark.count)) === mark.hash;
  if (!prefixMatches) return { text: fullPrompt(messages), mark: newMark, reset: true };
  if (messages.length === mark.count) return { text: renderMessage(messages[lastUser]!), mark: newMark, reset: false };
  let tail = messages.slice(mark.count);
  while (tail.length > 0 && tail[0]!.role === 'assistant') tail = tail.slice(1);
  if (tail.length === 0) return { text: renderMessage(messages[lastUser]!), mark: newMark, reset: false };
  return { text: tail.map(renderMessage).join('\n\n'), mark: newMark, reset: false };
}
