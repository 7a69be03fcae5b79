import type { Call, Message, Part, ToolChoice, ToolDefinition, GenerationOptions } from './call.js';
import { holdsAddedTools, sameTool, toolKey } from './added-tools.js';
import { CALL_LIMITS as L } from './limits.js';

/** One problem with a call: where (`messages[1].parts[0].text`) and what. */
export interface CallIssue {
  readonly path: string;
  readonly message: string;
}

const MAX_ISSUES = 20;
const ALLOWED_PARTS: Record<Message['role'], ReadonlySet<Part['type']>> = {
  system: new Set(['text']),
  user: new Set(['text', 'image', 'file', 'search_result', 'hosted_tool']),
  assistant: new Set(['text', 'image', 'file', 'tool_call', 'reasoning', 'web_search', 'hosted_tool']),
  tool: new Set(['tool_result']),
};

/**
 * Checks the invariants and limits of a call (CALL_LIMITS). Returns every issue found (up to
 * 20), an empty list when the call is valid. Frontends run it after decoding and turn issues
 * into a 400 naming the field.
 */
export function validateCall(call: Call): CallIssue[] {
  const issues: CallIssue[] = [];
  const add = (path: string, message: string) => {
    if (issues.length < MAX_ISSUES) issues.push({ path, message });
  };

  if (typeof call.model !== 'string') add('model', 'must be a string');
  else if (call.model.length > L.modelChars) add('model', `is longer than ${L.modelChars} characters`);

  if (call.system.length > L.systemParts) add('system', `has more than ${L.systemParts} parts`);
  call.system.forEach((part, i) => checkText(part.text, `system[${i}].text`, add));

  if (call.messages.length === 0) add('messages', call.system.length > 0 ? 'must contain at least one message besides the system prompt (system and developer messages are the system prompt)' : 'must contain at least one message');
  if (call.messages.length > L.messages) add('messages', `has more than ${L.messages} messages`);
  const toolCallIds = new Set<string>();
  call.messages.forEach((message, i) => checkMessage(message, `messages[${i}]`, add, toolCallIds));

  if (call.tools.length > L.tools) add('tools', `has more than ${L.tools} tools`);
  const toolNames = new Set<string>();
  // A namespaced tool is unique per (namespace, name); the choice names only tools outside one.
  const namespaced = new Set<string>();
  call.tools.forEach((tool, i) => {
    const path = `tools[${i}]`;
    if (tool.namespace !== undefined && (typeof tool.namespace !== 'string' || !tool.namespace || tool.namespace.trim() !== tool.namespace || tool.namespace.length > L.toolNameChars)) {
      add(`${path}.namespace`, `must be a non-empty name of at most ${L.toolNameChars} characters without surrounding whitespace`);
    }
    const names = tool.namespace === undefined ? toolNames : namespaced;
    const key = tool.namespace === undefined ? tool.name : `${String(tool.namespace)}\u0000${tool.name}`;
    if (!tool.name || tool.name.trim() !== tool.name) add(`${path}.name`, 'must be a non-empty name without surrounding whitespace');
    else if (tool.name.length > L.toolNameChars) add(`${path}.name`, `is longer than ${L.toolNameChars} characters`);
    else if (names.has(key)) add(`${path}.name`, tool.namespace === undefined ? `duplicates the tool name "${tool.name}"` : `duplicates the tool "${tool.name}" of the namespace "${tool.namespace}"`);
    names.add(key);
    if (tool.namespace !== undefined && tool.kind !== undefined && tool.kind !== 'custom') add(`${path}.namespace`, 'only a function or custom tool can be in a namespace');
    if (tool.toolset !== undefined) {
      if (typeof tool.toolset !== 'string' || tool.toolset.length === 0 || tool.toolset.length > L.toolNameChars) add(`${path}.toolset`, `must be a non-empty name of at most ${L.toolNameChars} characters`);
      if (tool.kind !== 'provider') add(`${path}.toolset`, 'only a provider tool can be a member of a toolset');
    }
    if (tool.kind === 'tool_search' && call.tools.findIndex((t) => t.kind === 'tool_search') !== i) add(`${path}.kind`, 'declares a second tool search');
    if (tool.description !== undefined && tool.description.length > L.toolDescriptionChars) {
      add(`${path}.description`, `is longer than ${L.toolDescriptionChars} characters`);
    }
    if (tool.parameters === null || typeof tool.parameters !== 'object' || Array.isArray(tool.parameters)) {
      add(`${path}.parameters`, 'must be a JSON Schema object');
    }
    if (tool.kind !== undefined && !TOOL_KINDS.has(tool.kind)) add(`${path}.kind`, 'must be custom, provider, web_search, hosted, tool_search or absent');
    if (tool.optional !== undefined && (tool.optional !== true || tool.kind !== 'hosted')) add(`${path}.optional`, 'only a hosted tool can be optional (true)');
    if (tool.kind === 'web_search' && call.tools.findIndex((t) => t.kind === 'web_search') !== i) add(`${path}.kind`, 'declares a second web search tool');
    if (tool.format !== undefined && !isObject(tool.format)) add(`${path}.format`, 'must be an object');
    if (tool.deferLoading !== undefined && typeof tool.deferLoading !== 'boolean') add(`${path}.deferLoading`, 'must be a boolean');
    if (tool.providerOptions !== undefined && !isObject(tool.providerOptions)) add(`${path}.providerOptions`, 'must be an object');
    checkProviderTool(tool, path, add);
  });
  checkAddedTools(call, add);
  checkToolChoice(call.toolChoice, toolNames, add);
  checkOptions(call.options, add);

  const entries = Object.entries(call.metadata);
  if (entries.length > L.metadataEntries) add('metadata', `has more than ${L.metadataEntries} entries`);
  for (const [key, value] of entries) {
    if (key.length > L.metadataKeyChars) add(`metadata.${key.slice(0, 32)}`, `key is longer than ${L.metadataKeyChars} characters`);
    if (typeof value !== 'string') add(`metadata.${key}`, 'must be a string');
    else if (value.length > L.metadataValueChars) add(`metadata.${key}`, `is longer than ${L.metadataValueChars} characters`);
  }
  return issues;
}

type Add = (path: string, message: string) => void;

const TOOL_KINDS: ReadonlySet<string> = new Set(['custom', 'provider', 'web_search', 'hosted', 'tool_search']);

function isObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A provider tool has its declaration (dialect and definition object), and only a provider tool has one. */
function checkProviderTool(tool: ToolDefinition, path: string, add: Add): void {
  const declared = tool.providerTool;
  if (tool.kind !== 'provider' && tool.kind !== 'hosted') {
    if (declared !== undefined && tool.kind !== 'web_search') add(`${path}.providerTool`, 'is only for kind provider, hosted or web_search');
    if (declared === undefined || tool.kind !== 'web_search') return;
  } else if (declared === undefined || declared === null || typeof declared !== 'object') {
    add(`${path}.providerTool`, `is required for kind ${tool.kind}`);
    return;
  }
  if (declared === null || typeof declared !== 'object') {
    add(`${path}.providerTool`, 'must be an object');
    return;
  }
  if (typeof declared.dialect !== 'string' || declared.dialect.length === 0) add(`${path}.providerTool.dialect`, 'must be a non-empty string');
  if (!isObject(declared.definition)) add(`${path}.providerTool.definition`, 'must be an object');
}

/** A part's provider fields: a dialect and an object of its fields. */
function checkFields(fields: { readonly dialect: string; readonly value: unknown } | null, path: string, add: Add): void {
  if (typeof fields?.dialect !== 'string' || fields.dialect.length === 0) add(`${path}.dialect`, 'must be a non-empty dialect id');
  if (!isObject(fields?.value)) add(`${path}.value`, 'must be an object');
}

function checkText(text: unknown, path: string, add: Add): void {
  if (typeof text !== 'string') add(path, 'must be a string');
  else if (text.length > L.textChars) add(path, `is longer than ${L.textChars} characters`);
}

function checkId(id: unknown, path: string, add: Add): void {
  if (typeof id !== 'string' || id.length === 0) add(path, 'must be a non-empty string');
  else if (id.length > L.idChars) add(path, `is longer than ${L.idChars} characters`);
}

function checkMessage(message: Message, path: string, add: Add, toolCallIds: Set<string>): void {
  const allowed = Object.hasOwn(ALLOWED_PARTS, message.role) ? ALLOWED_PARTS[message.role] : undefined;
  if (!allowed) {
    add(`${path}.role`, 'must be one of system, user, assistant, tool');
    return;
  }
  if (message.parts.length === 0) add(`${path}.parts`, 'must contain at least one part');
  if (message.parts.length > L.partsPerMessage) add(`${path}.parts`, `has more than ${L.partsPerMessage} parts`);
  message.parts.forEach((part, j) => {
    const partPath = `${path}.parts[${j}]`;
    if (!allowed.has(part.type)) {
      add(partPath, `a ${part.type} part is not allowed in a ${message.role} message`);
      return;
    }
    checkPart(part, partPath, add, toolCallIds);
  });
}

function checkPart(part: Part, path: string, add: Add, toolCallIds: Set<string>): void {
  switch (part.type) {
    case 'text':
      checkText(part.text, `${path}.text`, add);
      return;
    case 'image':
      if (!part.url && !part.data) add(path, 'an image needs a url or base64 data');
      if (part.data && !part.mediaType) add(`${path}.mediaType`, 'is required with inline image data');
      if (part.oversized !== undefined && part.oversized !== 'downsize' && part.oversized !== 'error') add(`${path}.oversized`, 'must be downsize or error');
      if ((part.url?.length ?? 0) > L.refChars || (part.data?.length ?? 0) > L.refChars) add(path, `image data is longer than ${L.refChars} characters`);
      if (part.providerFields !== undefined) checkFields(part.providerFields, `${path}.providerFields`, add);
      return;
    case 'file':
      if (!part.url && !part.data && !part.fileId) add(path, 'a file needs a url, a file id or base64 data');
      if ((part.url?.length ?? 0) > L.refChars || (part.data?.length ?? 0) > L.refChars) add(path, `file data is longer than ${L.refChars} characters`);
      if (part.context !== undefined && typeof part.context !== 'string') add(`${path}.context`, 'must be a string');
      if (part.providerFields !== undefined) checkFields(part.providerFields, `${path}.providerFields`, add);
      return;
    case 'tool_call':
      checkId(part.id, `${path}.id`, add);
      if (!part.name) add(`${path}.name`, 'must be a non-empty string');
      checkText(part.arguments, `${path}.arguments`, add);
      if (toolCallIds.has(part.id)) add(`${path}.id`, `duplicates the tool call id "${part.id}"`);
      toolCallIds.add(part.id);
      if (part.namespace !== undefined && (typeof part.namespace !== 'string' || part.namespace.length === 0 || part.namespace.length > L.toolNameChars)) add(`${path}.namespace`, `must be a non-empty name of at most ${L.toolNameChars} characters`);
      if (part.toolset !== undefined && (typeof part.toolset !== 'string' || part.toolset.length === 0 || part.toolset.length > L.toolNameChars)) add(`${path}.toolset`, `must be a non-empty name of at most ${L.toolNameChars} characters`);
      if (part.caller !== undefined) checkCaller(part.caller, `${path}.caller`, add);
      if (part.providerFields !== undefined) checkFields(part.providerFields, `${path}.providerFields`, add);
      return;
    case 'tool_result':
      checkId(part.callId, `${path}.callId`, add);
      if (typeof part.content === 'string') checkText(part.content, `${path}.content`, add);
      else if (!Array.isArray(part.content)) add(`${path}.content`, 'must be a string or a list of parts');
      else {
        part.content.forEach((p, k) => {
          if (p?.type !== 'tool_reference') return;
          if (typeof p.name !== 'string' || p.name.length === 0) add(`${path}.content[${k}].name`, 'must be a non-empty tool name');
          else if (p.name.length > L.toolNameChars) add(`${path}.content[${k}].name`, `is longer than ${L.toolNameChars} characters`);
        });
      }
      if (part.caller !== undefined) checkCaller(part.caller, `${path}.caller`, add);
      if (part.loaded !== undefined) {
        if (!Array.isArray(part.loaded?.tools) || part.loaded.tools.length > L.tools) add(`${path}.loaded.tools`, `must be a list of at most ${L.tools} tools`);
        if (typeof part.loaded?.dialect !== 'string' || part.loaded.dialect.length === 0) add(`${path}.loaded.dialect`, 'must be a non-empty dialect id');
        if (!isObject(part.loaded?.record)) add(`${path}.loaded.record`, 'must be an object');
      }
      return;
    case 'reasoning':
      if (!part.dialect || part.dialect.length > L.reasoningDialectChars) add(`${path}.dialect`, 'must be a non-empty dialect id');
      if (part.text === undefined && !part.signature && !part.opaque) add(path, 'reasoning needs text, a signature or an opaque payload');
      if (part.text !== undefined) checkText(part.text, `${path}.text`, add);
      if ((part.signature?.length ?? 0) > L.signatureChars) add(`${path}.signature`, `is longer than ${L.signatureChars} characters`);
      if (part.opaque !== undefined) checkText(part.opaque, `${path}.opaque`, add);
      return;
    case 'search_result':
      checkText(part.source, `${path}.source`, add);
      checkText(part.title, `${path}.title`, add);
      if (!Array.isArray(part.content) || part.content.length > L.partsPerMessage) add(`${path}.content`, `must be a list of at most ${L.partsPerMessage} text parts`);
      else part.content.forEach((p, k) => checkText(p?.text, `${path}.content[${k}].text`, add));
      return;
    case 'hosted_tool':
      if (typeof part.dialect !== 'string' || part.dialect.length === 0) add(`${path}.dialect`, 'must be a non-empty dialect id');
      if (!isObject(part.block)) add(`${path}.block`, 'must be an object');
      if (part.compaction !== undefined && !isObject(part.compaction)) add(`${path}.compaction`, 'must be an object');
      else if (part.compaction?.summary !== undefined) checkText(part.compaction.summary, `${path}.compaction.summary`, add);
      return;
    case 'web_search':
      checkId(part.id, `${path}.id`, add);
      if (part.status !== 'completed' && part.status !== 'failed') add(`${path}.status`, 'must be completed or failed');
      if (part.query !== undefined) checkText(part.query, `${path}.query`, add);
      if (part.results !== undefined && (!Array.isArray(part.results) || part.results.length > L.partsPerMessage)) add(`${path}.results`, `must be a list of at most ${L.partsPerMessage} results`);
      return;
  }
}

/**
 * The tools the history's parts add (HostedToolPart.tools): a list of named tools, each either
 * new to the call or the same declaration as the one already there (`tools`, or an earlier part).
 */
function checkAddedTools(call: Call, add: Add): void {
  if (!holdsAddedTools(call.messages)) return;
  let declared: Map<string, { tool: ToolDefinition; at: string }> | undefined;
  call.messages.forEach((message, i) => message.parts.forEach((part, j) => {
    if (part.type !== 'hosted_tool' || part.tools === undefined) return;
    const path = `messages[${i}].parts[${j}].tools`;
    if (!Array.isArray(part.tools) || part.tools.length > L.tools) {
      add(path, `must be a list of at most ${L.tools} tools`);
      return;
    }
    declared ??= new Map(call.tools.map((tool, k) => [toolKey(tool), { tool, at: `tools[${k}]` }]));
    part.tools.forEach((tool, k) => {
      if (typeof tool?.name !== 'string' || !tool.name || tool.name.trim() !== tool.name) {
        add(`${path}[${k}].name`, 'must be a non-empty name without surrounding whitespace');
        return;
      }
      const key = toolKey(tool);
      const known = declared!.get(key);
      if (known === undefined) declared!.set(key, { tool, at: `${path}[${k}]` });
      else if (!sameTool(known.tool, tool)) add(`${path}[${k}].name`, `declares the tool "${tool.name}" otherwise than ${known.at}; a tool added later must be the same declaration`);
    });
  }));
}

/** A call's or a result's caller: a dialect and the provider's object. */
function checkCaller(caller: { readonly dialect?: unknown; readonly value?: unknown } | null, path: string, add: Add): void {
  if (typeof caller?.dialect !== 'string' || caller.dialect.length === 0) add(`${path}.dialect`, 'must be a non-empty dialect id');
  if (!isObject(caller?.value)) add(`${path}.value`, 'must be an object');
}

function checkToolChoice(choice: ToolChoice, toolNames: ReadonlySet<string>, add: Add): void {
  if (choice.type === 'any' && toolNames.size === 0) add('toolChoice', 'requires a tool call but no tools are declared');
  if (choice.type === 'tool' && !toolNames.has(choice.name)) add('toolChoice.name', `names the tool "${choice.name}", which is not declared`);
  if ((choice.type === 'auto' || choice.type === 'any') && choice.allowed !== undefined) {
    if (choice.allowed.length === 0) add('toolChoice.allowed', 'must name at least one tool');
    choice.allowed.forEach((name, i) => {
      if (!toolNames.has(name)) add(`toolChoice.allowed[${i}]`, `names the tool "${name}", which is not declared`);
    });
  }
}

function checkOptions(o: GenerationOptions, add: Add): void {
  const range = (value: number | undefined, path: string, min: number, max: number, integer = false) => {
    if (value === undefined) return;
    if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      add(path, `must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`);
    }
  };
  range(o.temperature, 'options.temperature', 0, 2);
  range(o.topP, 'options.topP', 0, 1);
  range(o.topK, 'options.topK', 1, 1_000_000, true);
  range(o.maxOutputTokens, 'options.maxOutputTokens', 1, 2 ** 31 - 1, true);
  range(o.presencePenalty, 'options.presencePenalty', -2, 2);
  range(o.frequencyPenalty, 'options.frequencyPenalty', -2, 2);
  range(o.seed, 'options.seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  range(o.reasoning?.budgetTokens, 'options.reasoning.budgetTokens', 0, 2 ** 31 - 1, true);
  if (o.stopSequences) {
    if (o.stopSequences.length > L.stopSequences) add('options.stopSequences', `has more than ${L.stopSequences} entries`);
    o.stopSequences.forEach((s, i) => {
      if (typeof s !== 'string' || s.length === 0 || s.length > L.stopSequenceChars) add(`options.stopSequences[${i}]`, `must be a non-empty string of at most ${L.stopSequenceChars} characters`);
    });
  }
  if (o.verbosity !== undefined && !['low', 'medium', 'high'].includes(o.verbosity)) add('options.verbosity', 'must be low, medium or high');
}

/**
 * The first tool result in `messages` from index `from` on that answers no tool call of
 * `messages` (before or after it): its call id and the path of that id
 * (`messages[3].parts[0].callId`); undefined when every one answers a call. A request
 * that continues a stored conversation is checked with `from` at its own first message: lip has
 * the whole conversation then, so a result without its call is the client's mistake (a client
 * that sends its whole history itself may send one on purpose, and features repair those).
 */
export function unansweredResult(messages: readonly Message[], from: number): { readonly callId: string; readonly path: string } | undefined {
  let calls: Set<string> | undefined;
  for (let i = from; i < messages.length; i++) {
    const parts = messages[i]!.parts;
    for (let j = 0; j < parts.length; j++) {
      const part = parts[j]!;
      if (part.type !== 'tool_result') continue;
      calls ??= callIds(messages);
      if (!calls.has(part.callId)) return { callId: part.callId, path: `messages[${i}].parts[${j}].callId` };
    }
  }
  return undefined;
}

function callIds(messages: readonly Message[]): Set<string> {
  const ids = new Set<string>();
  for (const m of messages) for (const part of m.parts) if (part.type === 'tool_call') ids.add(part.id);
  return ids;
}
