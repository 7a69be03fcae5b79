type Json = Record<string, any>;
type Refusal = { status: number; error: { message: string; type?: string; code?: string; param?: string } } | undefined;

/**
 * The identifier rules of the real services, which refuse the whole request for one tool name or
 * tool call id outside them (a cross-provider conversation's ids, an MCP server's tool names):
 * OpenAI's `tools[n].name` `^[a-zA-Z0-9_-]+$` of at most 64, Chat's `tool_calls[n].id` of at most 40,
 * the Responses API's `call_id` of at most 64; Anthropic's tool name `^[a-zA-Z0-9_-]{1,128}$` and
 * `tool_use.id` / `tool_use_id` `^[a-zA-Z0-9_-]+$`; Bedrock's tool name and `toolUseId`
 * `^[a-zA-Z0-9_-]{1,64}$`. The messages are the services' own words where they are known. The
 * Responses API also refuses, with a 404, an input `reasoning` item without `encrypted_content`
 * under `store: false`: it looks such an item up by its id, and nothing was kept. Both refuse an
 * end-user id (`user`, `safety_identifier`) over 64 characters (`string_above_max_length`).
 * Chat Completions, as api.openai.com, refuses more than 4 `stop` sequences
 * (`array_above_max_length`): a row for it says `max_stop_sequences: 4`, which lip defaults to
 * only at api.openai.com itself.
 */
const portable = (max: number) => new RegExp(`^[a-zA-Z0-9_-]{1,${max}}$`);
const NAME_64 = portable(64);
const NAME_128 = portable(128);
const ANTHROPIC_ID = /^[a-zA-Z0-9_-]+$/;

const invalid = (message: string, type = 'invalid_request_error'): Refusal => ({ status: 400, error: { message, type } });

/** OpenAI's end-user ids, `user` and `safety_identifier`: at most 64 characters each. */
function refuseEndUser(body: Json | undefined): Refusal {
  for (const field of ['user', 'safety_identifier']) {
    const value = body?.[field];
    if (typeof value === 'string' && value.length > 64) {
      return {
        status: 400,
        error: {
          message: `Invalid '${field}': string too long. Expected a string with maximum length 64, but got a string with length ${value.length} instead.`,
          type: 'invalid_request_error', param: field, code: 'string_above_max_length',
        },
      };
    }
  }
  return undefined;
}

export function refuseOpenAIChat(body: Json | undefined): Refusal {
  const user = refuseEndUser(body);
  if (user) return user;
  if (Array.isArray(body?.stop) && body!.stop.length > 4) {
    return {
      status: 400,
      error: {
        message: `Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ${body!.stop.length} instead.`,
        type: 'invalid_request_error', param: 'stop', code: 'array_above_max_length',
      },
    };
  }
  for (const [i, t] of (Array.isArray(body?.tools) ? body!.tools : []).entries()) {
    const name = t?.function?.name ?? t?.custom?.name;
    if (typeof name === 'string' && !NAME_64.test(name)) return invalid(`Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`);
  }
  for (const [i, m] of (Array.isArray(body?.messages) ? body!.messages : []).entries()) {
    for (const [j, c] of (Array.isArray(m?.tool_calls) ? m.tool_calls : []).entries()) {
      if (typeof c?.id === 'string' && c.id.length > 40) return invalid(`Invalid 'messages[${i}].tool_calls[${j}].id': string too long. Expected a string with maximum length 40, but got a string with length ${c.id.length} instead.`);
    }
    if (typeof m?.tool_call_id === 'string' && m.tool_call_id.length > 40) return invalid(`Invalid 'messages[${i}].tool_call_id': string too long. Expected a string with maximum length 40, but got a string with length ${m.tool_call_id.length} instead.`);
  }
  return undefined;
}

export function refuseOpenAIResponses(body: Json | undefined): Refusal {
  const user = refuseEndUser(body);
  if (user) return user;
  for (const [i, t] of (Array.isArray(body?.tools) ? body!.tools : []).entries()) {
    if ((t?.type === 'function' || t?.type === 'custom') && typeof t.name === 'string' && !NAME_64.test(t.name)) {
      return invalid(`Invalid 'tools[${i}].name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`);
    }
  }
  for (const [i, item] of (Array.isArray(body?.input) ? body!.input : []).entries()) {
    if (typeof item?.call_id === 'string' && item.call_id.length > 64) return invalid(`Invalid 'input[${i}].call_id': string too long. Expected a string with maximum length 64, but got a string with length ${item.call_id.length} instead.`);
    if (body?.store === false && item?.type === 'reasoning' && typeof item.encrypted_content !== 'string') {
      return {
        status: 404,
        error: { message: `Item with id '${String(item.id)}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`, type: 'invalid_request_error' },
      };
    }
  }
  return undefined;
}

export function refuseAnthropic(body: Json | undefined): Refusal {
  for (const [i, t] of (Array.isArray(body?.tools) ? body!.tools : []).entries()) {
    // Custom tools (no type, or "custom"); the server tools' names are Anthropic's own.
    if ((t?.type === undefined || t?.type === 'custom') && typeof t?.name === 'string' && !NAME_128.test(t.name)) return invalid(`tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
  }
  for (const [i, m] of (Array.isArray(body?.messages) ? body!.messages : []).entries()) {
    for (const [j, b] of (Array.isArray(m?.content) ? m.content : []).entries()) {
      if (b?.type === 'tool_use' && typeof b.id === 'string' && !ANTHROPIC_ID.test(b.id)) return invalid(`messages.${i}.content.${j}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
      if (b?.type === 'tool_result' && typeof b.tool_use_id === 'string' && !ANTHROPIC_ID.test(b.tool_use_id)) return invalid(`messages.${i}.content.${j}.tool_result.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
    }
  }
  return undefined;
}

export function refuseBedrock(body: Json | undefined): Refusal {
  for (const [i, t] of (Array.isArray(body?.toolConfig?.tools) ? body!.toolConfig.tools : []).entries()) {
    const name = t?.toolSpec?.name;
    if (typeof name === 'string' && !NAME_64.test(name)) return invalid(`1 validation error detected: Value at 'toolConfig.tools.${i + 1}.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+`, 'ValidationException');
  }
  for (const [i, m] of (Array.isArray(body?.messages) ? body!.messages : []).entries()) {
    for (const [j, b] of (Array.isArray(m?.content) ? m.content : []).entries()) {
      const id = b?.toolUse?.toolUseId ?? b?.toolResult?.toolUseId;
      if (typeof id === 'string' && !NAME_64.test(id)) return invalid(`1 validation error detected: Value at 'messages.${i + 1}.member.content.${j + 1}.member.toolUse.toolUseId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+`, 'ValidationException');
    }
  }
  return undefined;
}
