import type { FilePart, HostedToolPart, ImagePart, Message, Part, ReasoningPart, ToolResultPart } from '../../canonical/index.js';
import { REASONING_DIALECTS, TOOL_DIALECTS } from '../../canonical/index.js';
import { callWireId, carryOpaque, sealState } from '../state-envelope.js';
import { callItem, callItemPrefix, callerForm, messageItem, type CallForm } from './response-object.js';
import { storedItemId } from './item-ids.js';
import { webSearchCallItem } from './web-search-call.js';
import { ownHostedItem } from './hosted-tools.js';
import { CLIENT_TOOL_NAMES, ownCallFields, type ClientToolType } from './client-tools.js';

type Item = Record<string, unknown>;

/**
 * A stored response's input as Responses items (`GET /v1/responses/{id}/input_items`), in
 * input order; the inverse of decode-input.ts as far as the canonical messages allow:
 *
 * * a user or system message -> one `message` item (`input_text`, `input_image`, `input_file`
 *   parts; a `developer` item comes back as `system`, the role lip keeps); a hosted tool's item
 *   of it (the client's `mcp_approval_response`) as written, in its place;
 * * an assistant message -> its parts in order: each text a `message` item (`output_text`), each
 *   call a `function_call` or `custom_tool_call` item (with its `namespace`; a `tool_search_call`
 *   when the input answers it with a `tool_search_output`; a `shell_call`, `apply_patch_call`,
 *   `local_shell_call` or `computer_call` when it answers it with that tool's output item; with its `caller`), each reasoning a `reasoning` item (provider
 *   state sealed in `encrypted_content`, as in the output), each web search a `web_search_call`
 *   item (its query and sources), each hosted tool's item (code_interpreter_call, mcp_call, ...)
 *   as written, its own id kept;
 * * a tool message -> one `function_call_output` item per result (`custom_tool_call_output`
 *   when the custom call is in the same input; a result of a call made in an earlier response
 *   shows as `function_call_output`); a tool search's answer as the `tool_search_output` it was,
 *   a client tool's as the output item it was.
 *
 * lip keeps no item ids of the input, so each item's id is made from the response id and the
 * item's place (item-ids.ts): the same on every call (`after` pages through them), and an
 * `item_reference` finds it.
 * @see spec/frontends/openai-responses/stored-response.spec.ts
 */
export function encodeInputItems(responseId: string, input: readonly Message[]): Item[] {
  const items: Item[] = [];
  const nextId = (prefix: string) => storedItemId(prefix, responseId, 'input', items.length);
  const custom = new Set<string>();
  // The callers of the calls a program made: their answers name the same caller.
  const callers = new Map<string, Readonly<Record<string, unknown>>>();
  // The calls of the client's tool search: those the input answers with the tools they loaded.
  const searches = new Set<string>();
  // The calls of client tools on OpenAI's schema: those the input answers with the tool's own item.
  const clients = new Set<string>();
  for (const m of input) {
    for (const p of m.parts) {
      if (p.type === 'tool_call') {
        if (p.custom === true) custom.add(p.id);
        const caller = callerForm(p.caller).caller;
        if (caller !== undefined) callers.set(p.id, caller);
      }
      if (p.type === 'tool_result' && p.loaded !== undefined) searches.add(p.callId);
      if (p.type === 'tool_result' && p.written?.dialect === TOOL_DIALECTS.openaiResponses) clients.add(p.callId);
    }
  }
  for (const message of input) {
    switch (message.role) {
      case 'system':
      case 'user': {
        const messageItem = (parts: readonly Part[]) => items.push({ id: nextId('msg_'), type: 'message', role: message.role, status: 'completed', content: parts.flatMap(inputContent) });
        if (!message.parts.some(isHostedItem)) {
          messageItem(message.parts);
          break;
        }
        // A hosted item (the client's approval answer) stands between the message items of the parts around it.
        let parts: Part[] = [];
        for (const part of message.parts) {
          if (!isHostedItem(part)) {
            parts.push(part);
            continue;
          }
          if (parts.length > 0) messageItem(parts);
          parts = [];
          items.push(hostedItem(part, nextId));
        }
        if (parts.length > 0) messageItem(parts);
        break;
      }
      case 'assistant':
        for (const part of message.parts) {
          const item = assistantItem(part, nextId, searches, clients);
          if (item) items.push(item);
        }
        break;
      case 'tool':
        for (const part of message.parts) {
          if (part.type !== 'tool_result') continue;
          items.push(part.loaded !== undefined ? toolSearchOutputItem(part, nextId)
            : part.written?.dialect === TOOL_DIALECTS.openaiResponses ? writtenItem(part.written.item, nextId)
              : toolOutputItem(part, custom.has(part.callId), nextId, callerForm(part.caller).caller ?? callers.get(part.callId)));
        }
        break;
    }
  }
  return items;
}

/** A hosted tool's part this protocol shows as an item (its own dialect's). */
const isHostedItem = (part: Part): part is HostedToolPart => part.type === 'hosted_tool' && ownHostedItem(part);

/** A hosted item as written; one written without an id (an approval answer may be) gets one from its place, as every listed item has. */
function hostedItem(part: HostedToolPart, nextId: (prefix: string) => string): Item {
  return typeof part.block.id === 'string' ? { ...part.block } : { ...part.block, id: nextId('hti_') };
}

function assistantItem(part: Part, nextId: (prefix: string) => string, searches: ReadonlySet<string>, clients: ReadonlySet<string>): Item | undefined {
  switch (part.type) {
    case 'text': return messageItem(nextId('msg_'), part.text, 'completed');
    case 'tool_call': {
      const client = clients.has(part.id) && CLIENT_TOOL_NAMES.has(part.name) ? { client: part.name as ClientToolType, ...ownCallFields(part.providerFields) } : {};
      const form: CallForm = { custom: part.custom === true, namespace: part.namespace, toolSearch: searches.has(part.id), ...client, ...callerForm(part.caller) };
      return callItem(nextId(callItemPrefix(form)), callWireId(part), part.name, part.arguments, 'completed', form);
    }
    case 'reasoning': return reasoningInputItem(nextId('rs_'), part);
    case 'web_search': return webSearchCallItem(nextId('ws_'), part.status, part, true);
    case 'hosted_tool': return isHostedItem(part) ? hostedItem(part, nextId) : undefined;
    default: return undefined;
  }
}

/** A reasoning item: its summaries (else its text) and, sealed with its dialect, the state a backend replays. */
function reasoningInputItem(id: string, part: ReasoningPart): Item {
  const encrypted = part.opaque !== undefined
    ? carryOpaque({ dialect: part.dialect, data: part.opaque, ...(part.id !== undefined ? { id: part.id } : {}) }, REASONING_DIALECTS.openaiResponses)
    : part.signature !== undefined ? sealState({ dialect: part.dialect, signature: part.signature }) : undefined;
  const summary = part.summary ?? (part.text ? [part.text] : []);
  return {
    id, type: 'reasoning', summary: summary.map((text) => ({ type: 'summary_text', text })),
    ...(encrypted !== undefined ? { encrypted_content: encrypted } : {}),
  };
}

/**
 * A client tool's answer as the client wrote it (`shell_call_output`, ...); one written without
 * an id gets one from its place, but a `local_shell_call_output`, whose `id` names its call, as written.
 */
function writtenItem(item: Readonly<Record<string, unknown>>, nextId: (prefix: string) => string): Item {
  return typeof item.id === 'string' || item.type === 'local_shell_call_output' ? { ...item } : { ...item, id: nextId('cto_') };
}

/** A client's tool search output as it was written (one written without an id gets one from its place). */
function toolSearchOutputItem(part: ToolResultPart, nextId: (prefix: string) => string): Item {
  const record = part.loaded!.record;
  return typeof record.id === 'string' ? { ...record } : { ...record, id: nextId('tso_') };
}

function toolOutputItem(part: ToolResultPart, custom: boolean, nextId: (prefix: string) => string, caller?: Readonly<Record<string, unknown>>): Item {
  const output = typeof part.content === 'string' ? part.content : part.content.flatMap(inputContent);
  return {
    id: nextId(custom ? 'ctco_' : 'fco_'), type: custom ? 'custom_tool_call_output' : 'function_call_output',
    call_id: part.callId, output, status: 'completed', ...(caller !== undefined ? { caller: { ...caller } } : {}),
  };
}

/** A content part of an input message (the parts a user message can hold; others have no place there). */
function inputContent(part: Part): Item[] {
  switch (part.type) {
    case 'text': return [{ type: 'input_text', text: part.text }];
    case 'image': return [imageContent(part)];
    case 'file': return [fileContent(part)];
    default: return [];
  }
}

function imageContent(part: ImagePart): Item {
  const url = part.url ?? `data:${part.mediaType ?? 'image/png'};base64,${part.data ?? ''}`;
  return { type: 'input_image', detail: part.detail ?? 'auto', image_url: url };
}

function fileContent(part: FilePart): Item {
  return {
    type: 'input_file',
    ...(part.data !== undefined ? { file_data: `data:${part.mediaType ?? 'application/octet-stream'};base64,${part.data}` } : {}),
    ...(part.url !== undefined ? { file_url: part.url } : {}),
    ...(part.fileId !== undefined ? { file_id: part.fileId } : {}),
    ...(part.filename !== undefined ? { filename: part.filename } : {}),
  };
}
