import { validateCall, withoutCacheMarks, type Call } from '../canonical/index.js';
import type { Runtime } from '../core/runtime.js';
import { responseNotFound, type Conversation } from '../continuity/index.js';
import { LipError } from '../errors/index.js';
import { clientPath, type CallOrigins, type Continuation, type DecodedRequest, type Frontend } from '../frontends/protocol.js';
import type { BackgroundRuns } from './background-runs.js';
import { storedResponses } from './stored-responses.js';

/**
 * The stored conversation a request continues (Responses `previous_response_id`, an Anthropic
 * thread's `previous_message_id`); undefined when it continues none. A 404 for one not stored (or
 * stored by another protocol) names the field as the client's protocol does (`continuation.previousParam`);
 * a 400 for a background response still running here (it is stored when it ends). The client's
 * protocol checks it (`frontend.continued`: a refusal names the field as a 404 does) and may put
 * other messages first than the stored ones (Responses: without the items deleted from the
 * conversation its turns ran in).
 */
export async function continuedConversation(runtime: Pick<Runtime, 'continuity'>, decoded: Pick<DecodedRequest, 'call' | 'continuation'>, principal: string, frontend?: Pick<Frontend, 'continued'>, background?: Pick<BackgroundRuns, 'running'>): Promise<Conversation | undefined> {
  const continuation = decoded.continuation;
  const previous = continuation?.previousResponseId;
  if (previous === undefined) return undefined;
  // A background response is stored when it ends: until then it cannot be continued.
  if (background?.running(previous, principal) === true) {
    throw new LipError('LIP_ERR_REQUEST_INVALID', `response '${previous}' is still running in the background: continue from it once it has ended (poll it with GET /v1/responses/${previous})`, { param: continuation!.previousParam ?? 'previous_response_id' });
  }
  try {
    // A conversation continues in the protocol that stored it: a Responses id (`resp_`) is no
    // Anthropic thread's message, nor the other way round.
    if (!previous.startsWith(continuation!.idPrefix ?? 'resp_')) throw responseNotFound(previous);
    const conversation = await runtime.continuity.loadConversation(previous, principal);
    const checking = frontend?.continued?.(conversation, storedResponses(runtime.continuity, principal), decoded.call.tools);
    const messages = checking === undefined ? undefined : await checking;
    return messages === undefined ? conversation : { ...conversation, messages: [...messages] };
  } catch (err) {
    const param = continuation!.previousParam;
    if (param === undefined || !(err instanceof LipError) || err.param === undefined) throw err;
    throw new LipError(err.code, err.message, { status: err.status, retryable: err.retryable, param, ...(err.detail ? { detail: err.detail } : {}) });
  }
}

/** Where the first turn of a thread keeps the thread's system and tools (`Continuation.keepsPrompt`), among its echoed fields. */
const THREAD_PROMPT = 'thread_prompt';

/**
 * A request's call in the conversation it continues, and its continuation as its turn is to be
 * stored: the stored turns come before the request's own messages. A conversation that keeps its
 * prompt (an Anthropic thread) takes the system and tools its first turn kept: the SDK leaves them
 * out of a `continue` (the frontend refuses a request that repeats them), so the call would
 * otherwise reach the model without its instructions and without the tools its history calls.
 * The turn that starts such a conversation keeps its own; later turns keep nothing more (the
 * conversation is read whole, its first turn with it). Its stored turns go without their cache
 * marks (`cache_control`), as the SDK sends a thread's answered messages when it replays them
 * itself: each was set for the request that first sent it, and sent again on every later turn
 * they would pile up past the 4 breakpoints a request may hold (Anthropic, Bedrock). The thread's
 * system and tools keep theirs, and the request's own messages theirs.
 */
export function inConversation(call: Call, continuation: Continuation | undefined, conversation: Conversation | undefined): { call: Call; continuation: Continuation | undefined } {
  if (continuation?.keepsPrompt !== true) {
    return { call: conversation === undefined ? call : { ...call, messages: [...conversation.messages, ...call.messages] }, continuation };
  }
  if (conversation === undefined) {
    const prompt: Pick<Call, 'system' | 'tools'> = { system: call.system, tools: call.tools };
    return { call, continuation: { ...continuation, echo: { ...continuation.echo, [THREAD_PROMPT]: prompt } } };
  }
  // The newest kept (the first turn's); a thread stored before lip kept them has none: the request's own (none) stand.
  const kept = conversation.echoes.findLast((echo) => echo?.[THREAD_PROMPT] !== undefined)?.[THREAD_PROMPT] as Pick<Call, 'system' | 'tools'> | undefined;
  return { call: { ...call, ...kept, messages: [...withoutCacheMarks(conversation.messages), ...call.messages] }, continuation };
}

/** How a request that is not a generation (a token count) is checked: see checkCall. */
export interface CallCheck {
  /** The prefix of the fields named (Gemini's `generateContentRequest`: `body` is the request under it). */
  readonly under?: string;
  /** A call of no messages passes (a Responses count of instructions alone). */
  readonly messagesOptional?: boolean;
}

/**
 * The canonical checks of `call` (the decoded call in its conversation, inConversation), a 400
 * naming the request's fields as the client wrote them (`max_tokens`, `tools[1].function.name`,
 * `messages[3].tool_calls[1].id`): the decoder's origins, the stored turns before the request's
 * own messages counted, and the tools a thread kept having none in this request; `how` for a
 * token count's body (CallCheck).
 */
export function checkCall(call: Call, decoded: Pick<DecodedRequest, 'call' | 'origins'>, frontend: Frontend, body: unknown, how: CallCheck = {}): void {
  const empty = how.messagesOptional === true && call.messages.length === 0;
  const issues = validateCall(call).filter((i) => !(empty && i.path === 'messages'));
  if (issues.length === 0) return;
  const field = clientField(call, decoded, frontend, body);
  const prefix = how.under !== undefined ? `${how.under}.` : '';
  const named = issues.map((i) => ({ path: `${prefix}${field(i.path)}`, message: i.message }));
  throw new LipError('LIP_ERR_REQUEST_INVALID', named.map((i) => `${i.path}: ${i.message}`).join('; '), { param: named[0]!.path });
}

/**
 * A path of `call` (the decoded call in its conversation) as the request's field the client
 * wrote (clientPath): the decoder's origins (`origins`, which decodes the request again unless
 * given), the stored turns before the request's own messages counted, and the tools a thread
 * kept having none in this request.
 */
export function clientField(call: Call, decoded: Pick<DecodedRequest, 'call' | 'origins'>, frontend: Frontend, body: unknown, origins = decoded.origins?.()): (path: string) => string {
  const stored = call.messages.length - decoded.call.messages.length;
  const shifted: CallOrigins | undefined = origins && {
    ...origins,
    ...(origins.messages && stored > 0 ? { messages: [...Array<undefined>(stored), ...origins.messages] } : {}),
    ...(call.tools !== decoded.call.tools ? { tools: [] } : {}),
  };
  return (path) => clientPath(frontend.optionFields, path, body, frontend.messagesField, shifted);
}
