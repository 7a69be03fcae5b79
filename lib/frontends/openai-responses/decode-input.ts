import type { FilePart, HostedToolPart, ImagePart, Message, Part, ReasoningPart, TextPart, ToolCaller, ToolDefinition } from '../../canonical/index.js';
import { CALLER_DIALECTS, REASONING_DIALECTS, compactionSummaryMessage } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { requestArguments } from '../../wire/json-depth.js';
import { parseDataUrl } from '../../wire/request-validator.js';
import { partCacheOf } from '../cache-control.js';
import { mediaUrl } from '../media-url.js';
import { openCallId, openState, plainCallId, reasoningFromSlot } from '../state-envelope.js';
import { webSearchPart } from './web-search-call.js';
import { HOSTED_ANSWER_TYPE, HOSTED_ITEM_TYPES, hostedPart } from './hosted-tools.js';
import { toolSearchCallPart, toolSearchOutputPart } from './tool-search.js';
import { CLIENT_ITEM_TYPES, clientCallPart, clientOutputPart, isClientCallItem } from './client-tools.js';
import { AddedTools } from './additional-tools.js';
import type { MessageOrigin, Origin } from '../protocol.js';

type Json = Record<string, any>; // shape checked by responsesRequestSchema before any field is read

/** A call item's fields by their canonical names: its `id` is the item's `call_id` (its own `id` is the item's). */
const CALL_FIELDS = { id: 'call_id' };
const CUSTOM_CALL_FIELDS = { ...CALL_FIELDS, arguments: 'input' };
const OUTPUT_FIELDS = { callId: 'call_id', content: 'output' };
const MESSAGE_FIELDS = { text: 'content' };

/** A 400 naming the field in the client's notation (`input[2].content[0].type`). */
export function badField(path: string, message: string, unsupported = false): LipError {
  return new LipError(unsupported ? 'LIP_ERR_REQUEST_UNSUPPORTED' : 'LIP_ERR_REQUEST_INVALID', `${path}: ${message}`, { param: path });
}

/**
 * Responses `input` -> canonical messages. Leading system/developer messages go to `system`.
 * The items of one assistant turn (reasoning, message, function_call, custom_tool_call,
 * web_search_call, and hosted tools' items: code_interpreter_call, file_search_call,
 * image_generation_call, mcp_call, mcp_list_tools, mcp_approval_request, as written; a
 * tool_search_call, and OpenAI's own tool_search_output) fold into one assistant message in
 * their order (a call keeps its `namespace`); consecutive function_call_output,
 * custom_tool_call_output and the client's tool_search_output items into one tool message
 * (tool-search.ts); the client tools' calls (`shell_call`, `apply_patch_call`,
 * `local_shell_call`, `computer_call`) are tool calls of the assistant's turn and their
 * `*_output` items results (client-tools.ts); a call's `caller` (the `program` that made it:
 * programmatic tool calling) is the call part's, and the `program` and `program_output` items
 * hosted items of the turn. The client's `mcp_approval_response` is a user message of its own, as
 * written; so is an `additional_tools` item, with the tools it adds (checked against `declared`,
 * the request's tools: additional-tools.ts). A `compaction_trigger` must be the last item, and is
 * no message: the request asks for a compaction (decode-request.ts). A compaction item lip made
 * is the summary it holds (a user message); OpenAI's own is a hosted item of the assistant's turn
 * that stands for the turns before it, as written, which only an openai-responses backend reads.
 * `origins`, when given, gets where each message and part came from (`input[3]`, its
 * `call_id`), by the messages' index.
 */
export function decodeInput(input: string | Json[], system: TextPart[], declared: readonly ToolDefinition[] = [], origins?: MessageOrigin[]): Message[] {
  if (typeof input === 'string') {
    origins?.push({ at: 'input', parts: [{ at: 'input', fields: { text: 'input' } }] });
    return [{ role: 'user', parts: [{ type: 'text', text: input }] }];
  }
  const messages: Message[] = [];
  let added: AddedTools | undefined;
  let path = '';
  /** Each part from the item at `path` (or `from`, one per part), the item's fields named as `fields` says. */
  const push = (message: Message, fields?: Origin['fields'], from?: readonly Origin[]) => {
    messages.push(message);
    origins?.push({ at: path, parts: from ?? message.parts.map(() => ({ at: path, ...(fields ? { fields } : {}) })) });
  };
  const append = (role: 'assistant' | 'tool', parts: Part[], fields?: Origin['fields'], from?: readonly Origin[]) => {
    const last = messages[messages.length - 1];
    if (last?.role !== role) return push({ role, parts }, fields, from);
    (last.parts as Part[]).push(...parts);
    if (origins) (origins[origins.length - 1]!.parts as Origin[]).push(...(from ?? parts.map(() => ({ at: path, ...(fields ? { fields } : {}) }))));
  };
  input.forEach((item, i) => {
    path = `input[${i}]`;
    const type: string = item.type ?? 'message';
    switch (type) {
      case 'message': {
        const role: string = item.role;
        const from = origins && typeof item.content !== 'string' ? (item.content as Json[]).map((_, j) => ({ at: `${path}.content[${j}]` })) : undefined;
        if (role === 'system' || role === 'developer') {
          const parts = contentParts(item.content, `${path}.content`).map((p, j) => asText(p, `${path}.content[${j}]`));
          if (messages.length === 0) system.push(...parts);
          else push({ role: 'system', parts }, MESSAGE_FIELDS, from);
        } else if (role === 'assistant') {
          const parts = contentParts(item.content, `${path}.content`).map((p, j) => asText(p, `${path}.content[${j}]`));
          append('assistant', parts.length > 0 ? parts : [{ type: 'text', text: '' }], MESSAGE_FIELDS, parts.length > 0 ? from : undefined);
        } else {
          push({ role: 'user', parts: contentParts(item.content, `${path}.content`) }, MESSAGE_FIELDS, from);
        }
        return;
      }
      case 'function_call': {
        const { id, call } = openCallId(item.call_id, `${path}.call_id`);
        append('assistant', [{
          type: 'tool_call', id, name: item.name, arguments: requestArguments(item.arguments, `${path}.arguments`),
          ...(call ? { signature: call.signature, dialect: call.dialect } : {}), ...(typeof item.namespace === 'string' ? { namespace: item.namespace } : {}),
          ...callerOf(item),
        }], CALL_FIELDS);
        return;
      }
      case 'custom_tool_call': {
        const { id, call } = openCallId(item.call_id, `${path}.call_id`);
        append('assistant', [{
          type: 'tool_call', id, name: item.name, arguments: item.input, custom: true,
          ...(call ? { signature: call.signature, dialect: call.dialect } : {}), ...(typeof item.namespace === 'string' ? { namespace: item.namespace } : {}),
          ...callerOf(item),
        }], CUSTOM_CALL_FIELDS);
        return;
      }
      case 'tool_search_call':
        append('assistant', [toolSearchCallPart(item, path)]);
        return;
      case 'tool_search_output': {
        // OpenAI's own search writes its output in the assistant's turn; the client's answers a call.
        const part = toolSearchOutputPart(item, path);
        append(part.type === 'tool_result' ? 'tool' : 'assistant', [part]);
        return;
      }
      case 'custom_tool_call_output':
      case 'function_call_output': {
        const content = typeof item.output === 'string' ? item.output : contentParts(item.output, `${path}.output`) as (TextPart | ImagePart | FilePart)[];
        append('tool', [{ type: 'tool_result', callId: plainCallId(item.call_id), content, ...callerOf(item) }], OUTPUT_FIELDS);
        return;
      }
      case 'reasoning':
        append('assistant', [reasoningPart(item, path)]);
        return;
      case 'web_search_call':
        append('assistant', [webSearchPart(item, path)]);
        return;
      case 'compaction': {
        const compacted = compaction(item, path);
        if ('role' in compacted) push(compacted);
        else append('assistant', [compacted]);
        return;
      }
      case 'compaction_trigger':
        if (i !== input.length - 1) throw badField(`${path}.type`, 'a compaction_trigger must be the last input item');
        return;
      case 'additional_tools':
        push({ role: 'user', parts: [(added ??= new AddedTools(declared)).part(item, path)] });
        return;
      case HOSTED_ANSWER_TYPE:
        push({ role: 'user', parts: [hostedPart(item)] });
        return;
      case 'item_reference':
        // Resolved from the stored responses before a request is decoded (item-references.ts); one
        // left here was sent where nothing runs (a WebSocket turn with generate: false).
        throw badField(`${path}.type`, 'an item reference is resolved only in a request that runs; send the item itself', true);
      default:
        if (HOSTED_ITEM_TYPES.has(type)) {
          append('assistant', [hostedPart(item)]);
          return;
        }
        if (CLIENT_ITEM_TYPES.has(type)) {
          if (isClientCallItem(type)) append('assistant', [clientCallPart(item, path)]);
          else append('tool', [clientOutputPart(item, path)]);
          return;
        }
        throw badField(`${path}.type`, `unknown or unsupported item type "${type}"`);
    }
  });
  return messages;
}

/** A call item's `caller` (who made it: the model, or a program of programmatic tool calling), as the call part's. */
export function callerOf(item: Json): { caller?: ToolCaller } {
  return item.caller !== null && typeof item.caller === 'object' ? { caller: { dialect: CALLER_DIALECTS.openaiResponses, value: item.caller } } : {};
}

/**
 * A compaction item. One lip made (`POST /v1/responses/compact`, compact.ts) holds its summary
 * sealed: it becomes a user message that stands for the turns it replaced. OpenAI's own (its
 * compact endpoint's, or a compaction of its answer) holds those turns only in a form OpenAI
 * reads: a hosted part, as written, standing for the conversation before it without a readable
 * summary (HostedToolPart.compaction), which an openai-responses backend sends back and every
 * other backend refuses. A lip envelope of anything else than a compaction is a 400.
 */
function compaction(item: Json, path: string): Message | HostedToolPart {
  const sealed = openState(item.encrypted_content as string, `${path}.encrypted_content`);
  if (sealed === undefined) return { ...hostedPart(item), compaction: {} };
  if (sealed.dialect !== REASONING_DIALECTS.lipCompaction || typeof sealed.text !== 'string') {
    throw badField(`${path}.encrypted_content`, 'holds state lip sealed for another purpose than a compaction; send the compaction items lip or OpenAI made as they were', true);
  }
  return compactionSummaryMessage(sealed.text);
}

/**
 * A reasoning item: summaries (kept apart in `summary`), raw reasoning text, encrypted content.
 * Encrypted content that lip sealed (state-envelope.ts) restores the state's own dialect and
 * payload (OpenAI's with its upstream item id), the summary being its text.
 */
function reasoningPart(item: Json, path: string): ReasoningPart {
  const summary = ((item.summary ?? []) as Json[]).map((s) => s.text as string);
  const raw = ((item.content ?? []) as Json[]).map((c) => c.text as string);
  const text = summary.length > 0 ? summary.join('\n\n') : raw.join('');
  const sealed = reasoningFromSlot(item.encrypted_content, text, `${path}.encrypted_content`);
  if (sealed) return sealed.dialect === REASONING_DIALECTS.openaiResponses && summary.length > 0 ? { ...sealed, summary } : sealed;
  return {
    type: 'reasoning',
    dialect: REASONING_DIALECTS.openaiResponses,
    text,
    ...(summary.length > 0 ? { summary } : {}),
    ...(typeof item.encrypted_content === 'string' ? { opaque: item.encrypted_content } : {}),
    ...(typeof item.id === 'string' ? { id: item.id } : {}),
  };
}

function asText(part: Part, path: string): TextPart {
  if (part.type !== 'text') throw badField(`${path}.type`, 'only text content is allowed in this message', true);
  return part;
}

function contentParts(content: string | Json[], path: string): Part[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((p, j): Part => {
    const at = `${path}[${j}]`;
    switch (p.type) {
      case 'input_text':
        return { type: 'text', text: p.text, ...partCacheOf(p) };
      case 'output_text':
        return { type: 'text', text: p.text };
      case 'refusal':
        return { type: 'text', text: p.refusal };
      case 'input_image':
        return { ...imagePart(p, at), ...partCacheOf(p) };
      case 'input_file':
        return { ...filePart(p, at), ...partCacheOf(p) };
      case 'input_audio':
        throw badField(`${at}.type`, 'audio input is not supported', true);
      default:
        throw badField(`${at}.type`, `unknown content type "${String(p.type)}"`);
    }
  });
}

/** An `input_image` part (or a computer call's screenshot, client-tools.ts): its `image_url`, https:, http: or data: (mediaUrl); a `file_id` lip holds no file of is a 400 (one it holds was put inline: file-references.ts). */
export function imagePart(p: Json, path: string): ImagePart {
  const detail = typeof p.detail === 'string' ? { detail: p.detail } : {};
  if (typeof p.image_url === 'string' && p.image_url.length > 0) {
    const inline = parseDataUrl(p.image_url);
    return inline ? { type: 'image', data: inline.data, mediaType: inline.mediaType, ...detail } : { type: 'image', url: mediaUrl(p.image_url, `${path}.image_url`), ...detail };
  }
  if (typeof p.file_id === 'string') throw badField(`${path}.file_id`, 'names no file of this caller that lip holds (upload it to /v1/files with purpose vision or user_data), or send image_url (https:, http: or data:)', true);
  throw badField(`${path}.image_url`, 'is required');
}

function filePart(p: Json, path: string): FilePart {
  const named = typeof p.filename === 'string' ? { filename: p.filename } : {};
  if (typeof p.file_data === 'string') {
    const inline = parseDataUrl(p.file_data);
    if (inline) return { type: 'file', data: inline.data, mediaType: inline.mediaType, ...named };
    const pdf = typeof p.filename === 'string' && p.filename.toLowerCase().endsWith('.pdf');
    return { type: 'file', data: p.file_data, mediaType: pdf ? 'application/pdf' : 'application/octet-stream', ...named };
  }
  if (typeof p.file_url === 'string') return { type: 'file', url: mediaUrl(p.file_url, `${path}.file_url`), ...named };
  if (typeof p.file_id === 'string') return { type: 'file', fileId: p.file_id, ...named };
  throw badField(path, 'needs file_data, file_url or file_id');
}
