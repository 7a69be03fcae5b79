import { CACHE_CONTROL_SCHEMA, PROMPT_CACHE_BREAKPOINT_SCHEMA } from '../cache-control.js';
import { TOP_LOGPROBS_SCHEMA } from '../logprobs.js';
import { openaiKnobSchemas, type OpenAIKnob } from '../provider-options.js';
import { WEB_SEARCH_TOOL_TYPES } from './web-search-call.js';
import { HOSTED_TOOL_TYPES } from './hosted-tools.js';

/** The OpenAI request knobs a Responses request carries to OpenAI backends (Call.providerOptions.openai). */
export const RESPONSES_KNOBS: readonly OpenAIKnob[] = ['service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'prompt_cache_options', 'safety_identifier', 'truncation', 'moderation', 'context_management', 'max_tool_calls'];

/**
 * The JSON Schema of an OpenAI Responses request (`POST /v1/responses`), as far as lip reads it.
 * Unknown top-level fields are accepted and ignored; every field that is read is type-checked,
 * so a wrong type gets a 400 naming the field. Item and content `type` values are checked by the
 * decoder, which can say `input[2].content[0].type: unknown content type "foo"`.
 */
const tagged = (kinds: Record<string, Record<string, unknown>>) => ({
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' } },
  allOf: Object.entries(kinds).map(([kind, schema]) => ({ if: { properties: { type: { const: kind } }, required: ['type'] }, then: schema })),
});

/** A content part's cache mark: OpenAI's breakpoint, or an OpenRouter-style `cache_control` (checked as Anthropic checks it). */
const breakpoint = { prompt_cache_breakpoint: PROMPT_CACHE_BREAKPOINT_SCHEMA, cache_control: CACHE_CONTROL_SCHEMA };
const inputText = { required: ['text'], properties: { text: { type: 'string' }, ...breakpoint } };
const inputImage = { properties: { image_url: { type: ['string', 'null'] }, file_id: { type: ['string', 'null'] }, detail: { enum: ['low', 'high', 'auto', 'original', null] }, ...breakpoint } };
const inputFile = {
  properties: { file_data: { type: 'string' }, file_id: { type: ['string', 'null'] }, file_url: { type: 'string' }, filename: { type: 'string' }, ...breakpoint },
};
const outputText = { required: ['text'], properties: { text: { type: 'string' } } };
const refusal = { required: ['refusal'], properties: { refusal: { type: 'string' } } };

const contentPart = tagged({ input_text: inputText, input_image: inputImage, input_file: inputFile, output_text: outputText, refusal });
const content = { type: ['string', 'array'], description: 'a string or an array of content parts', items: contentPart };

const message = { required: ['role', 'content'], properties: { role: { enum: ['user', 'assistant', 'system', 'developer'] }, content } };
/** Who made a call (and so whom its answer goes back to): the model, or a program of programmatic tool calling (programs.ts). */
const caller = {
  type: ['object', 'null'], required: ['type'],
  properties: { type: { enum: ['direct', 'program'] }, caller_id: { type: 'string', minLength: 1 } },
  if: { properties: { type: { const: 'program' } } }, then: { required: ['caller_id'] },
};
const functionCall = {
  required: ['call_id', 'name', 'arguments'],
  properties: {
    id: { type: 'string' }, call_id: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, arguments: { type: 'string' },
    namespace: { type: 'string', minLength: 1 }, caller,
  },
};
const functionCallOutput = {
  required: ['call_id', 'output'],
  properties: {
    call_id: { type: 'string', minLength: 1 },
    output: { type: ['string', 'array'], description: 'a string or an array of content parts', items: contentPart },
    caller,
  },
};
const customToolCall = {
  required: ['call_id', 'name', 'input'],
  properties: {
    id: { type: 'string' }, call_id: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, input: { type: 'string' },
    namespace: { type: 'string', minLength: 1 }, caller,
  },
};
const summaryText = { type: 'object', required: ['type', 'text'], properties: { type: { const: 'summary_text' }, text: { type: 'string' } } };
const reasoningText = { type: 'object', required: ['type', 'text'], properties: { type: { const: 'reasoning_text' }, text: { type: 'string' } } };
const reasoning = {
  properties: {
    id: { type: 'string' },
    summary: { type: 'array', items: summaryText },
    content: { type: ['array', 'null'], items: reasoningText },
    encrypted_content: { type: ['string', 'null'] },
  },
};

const nullableString = { type: ['string', 'null'] };
/** A hosted web search of an earlier turn; Codex CLI sends it without `id` (and `action` may be absent). */
const webSearchCall = {
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    action: {
      type: 'object',
      properties: {
        type: { type: 'string' },
        query: nullableString,
        queries: { type: ['array', 'null'], items: { type: 'string' } },
        url: nullableString,
        pattern: nullableString,
        sources: { type: ['array', 'null'], items: { type: 'object', required: ['url'], properties: { url: { type: 'string' }, title: nullableString } } },
      },
    },
  },
};

/**
 * Hosted tools' items of an earlier turn, passed on as written: the fields an upstream reads to
 * place them are type-checked, the rest is the provider's business.
 */
const hostedCall = { required: ['id'], properties: { id: { type: 'string', minLength: 1 }, status: { type: 'string' } } };
const mcpItem = { required: ['id', 'server_label'], properties: { id: { type: 'string', minLength: 1 }, server_label: { type: 'string' }, name: { type: 'string' }, arguments: { type: 'string' } } };
const hostedItems: Record<string, Record<string, unknown>> = {
  code_interpreter_call: { ...hostedCall, properties: { ...hostedCall.properties, code: nullableString, container_id: { type: 'string' }, outputs: { type: ['array', 'null'] } } },
  file_search_call: { ...hostedCall, properties: { ...hostedCall.properties, queries: { type: 'array', items: { type: 'string' } }, results: { type: ['array', 'null'] } } },
  image_generation_call: { ...hostedCall, properties: { ...hostedCall.properties, result: nullableString } },
  mcp_call: mcpItem,
  mcp_list_tools: { ...mcpItem, properties: { ...mcpItem.properties, tools: { type: 'array' } } },
  mcp_approval_request: mcpItem,
  mcp_approval_response: { required: ['approval_request_id', 'approve'], properties: { id: { type: ['string', 'null'] }, approval_request_id: { type: 'string', minLength: 1 }, approve: { type: 'boolean' }, reason: nullableString } },
  // Programmatic tool calling (programs.ts): the program OpenAI ran, and its result.
  program: {
    required: ['id', 'call_id', 'code', 'fingerprint'],
    properties: { id: { type: 'string', minLength: 1 }, call_id: { type: 'string', minLength: 1 }, code: { type: 'string' }, fingerprint: { type: 'string', minLength: 1 } },
  },
  program_output: {
    required: ['id', 'call_id', 'result', 'status'],
    properties: { id: { type: 'string', minLength: 1 }, call_id: { type: 'string', minLength: 1 }, result: { type: 'string' }, status: { enum: ['completed', 'incomplete'] } },
  },
};

/**
 * Items only OpenAI reads besides hosted tools' (decode-input.ts): a compaction (lip's own, or
 * OpenAI's encrypted one), the trigger that asks for one, and tools added from a point of the
 * conversation on (additional-tools.ts).
 */
const stateItems: Record<string, Record<string, unknown>> = {
  compaction: { required: ['encrypted_content'], properties: { id: nullableString, encrypted_content: { type: 'string', minLength: 1 } } },
  compaction_trigger: {},
  additional_tools: { required: ['role', 'tools'], properties: { id: nullableString, role: { const: 'developer' }, tools: { type: 'array', minItems: 1, items: { $ref: '#/$defs/tool' } } } },
};

/**
 * A tool search of an earlier turn (tool-search.ts): the call (its `arguments` a JSON value) and
 * its output, the tools it loaded. A client-run one (`execution: "client"`) needs its `call_id`;
 * a server-run one is OpenAI's record, passed on as written.
 */
const execution = { enum: ['client', 'server'] };
const toolSearchCall = {
  properties: { id: nullableString, call_id: nullableString, execution, status: nullableString },
  if: { not: { properties: { execution: { const: 'server' } }, required: ['execution'] } },
  then: { required: ['call_id'], properties: { call_id: { type: 'string', minLength: 1 } } },
};
const toolSearchOutput = {
  required: ['tools'],
  properties: { id: nullableString, call_id: nullableString, execution, status: nullableString, tools: { type: 'array', items: { $ref: '#/$defs/tool' } } },
  if: { not: { properties: { execution: { const: 'server' } }, required: ['execution'] } },
  then: { required: ['call_id'], properties: { call_id: { type: 'string', minLength: 1 } } },
};

/**
 * The calls of the tools the client runs on OpenAI's schema and its answers (client-tools.ts):
 * each field lip reads, typed, so that a malformed one gets a 400 naming it.
 */
const nullableInteger = { type: ['integer', 'null'] };
const callId = { type: 'string', minLength: 1 };
const stringArray = { type: 'array', items: { type: 'string' } };
const number = { type: 'number' };
/** A computer use action (ComputerAction): its `type`, and the fields of the action union typed. */
const computerAction = {
  type: 'object', required: ['type'],
  properties: {
    type: { type: 'string', minLength: 1 }, x: number, y: number, scroll_x: number, scroll_y: number, button: { type: 'string' }, text: { type: 'string' },
    keys: { type: ['array', 'null'], items: { type: 'string' } },
    path: { type: 'array', items: { type: 'object', required: ['x', 'y'], properties: { x: number, y: number } } },
  },
};
/** A computer call's pending safety checks, and those a computer call's output acknowledges. */
const safetyChecks = { type: ['array', 'null'], items: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 }, code: nullableString, message: nullableString } } };
const clientItems: Record<string, Record<string, unknown>> = {
  shell_call: {
    required: ['call_id', 'action'],
    properties: {
      call_id: callId, status: nullableString, caller,
      action: { type: 'object', required: ['commands'], properties: { commands: stringArray, timeout_ms: nullableInteger, max_output_length: nullableInteger } },
    },
  },
  shell_call_output: {
    required: ['call_id', 'output'],
    properties: {
      call_id: callId, max_output_length: nullableInteger, caller,
      output: {
        type: 'array',
        items: {
          type: 'object', required: ['outcome'],
          properties: {
            stdout: { type: 'string' }, stderr: { type: 'string' },
            outcome: { type: 'object', required: ['type'], properties: { type: { enum: ['exit', 'timeout'] }, exit_code: { type: 'integer' } } },
          },
        },
      },
    },
  },
  apply_patch_call: {
    required: ['call_id', 'operation'],
    properties: {
      call_id: callId, status: nullableString, caller,
      operation: {
        type: 'object', required: ['type', 'path'],
        properties: { type: { enum: ['create_file', 'update_file', 'delete_file'] }, path: { type: 'string', minLength: 1 }, diff: { type: 'string' } },
        if: { properties: { type: { enum: ['create_file', 'update_file'] } } }, then: { required: ['diff'] },
      },
    },
  },
  apply_patch_call_output: {
    required: ['call_id', 'status'],
    properties: { call_id: callId, status: { enum: ['completed', 'failed'] }, output: nullableString, caller },
  },
  local_shell_call: {
    required: ['call_id', 'action'],
    properties: {
      call_id: callId, status: nullableString,
      action: {
        type: 'object', required: ['type', 'command'],
        properties: { type: { const: 'exec' }, command: stringArray, env: { type: ['object', 'null'], additionalProperties: { type: 'string' } }, timeout_ms: nullableInteger, user: nullableString, working_directory: nullableString },
      },
    },
  },
  local_shell_call_output: { required: ['output'], properties: { call_id: nullableString, id: nullableString, output: { type: 'string' }, status: nullableString } },
  computer_call: {
    required: ['call_id'],
    properties: { call_id: callId, status: nullableString, action: computerAction, actions: { type: 'array', items: computerAction }, pending_safety_checks: safetyChecks },
  },
  computer_call_output: {
    required: ['call_id', 'output'],
    properties: {
      call_id: callId, status: nullableString, acknowledged_safety_checks: safetyChecks,
      output: { type: 'object', required: ['type'], properties: { type: { enum: ['computer_screenshot'] }, image_url: nullableString, file_id: nullableString } },
    },
  },
};

/** An input item: typed, or an untyped `{role, content}` message. */
const item = {
  type: 'object',
  properties: { type: { type: 'string' } },
  allOf: [
    { if: { not: { required: ['type'] } }, then: message },
    { if: { properties: { type: { const: 'message' } }, required: ['type'] }, then: message },
    { if: { properties: { type: { const: 'function_call' } }, required: ['type'] }, then: functionCall },
    { if: { properties: { type: { const: 'function_call_output' } }, required: ['type'] }, then: functionCallOutput },
    { if: { properties: { type: { const: 'custom_tool_call' } }, required: ['type'] }, then: customToolCall },
    { if: { properties: { type: { const: 'custom_tool_call_output' } }, required: ['type'] }, then: functionCallOutput },
    { if: { properties: { type: { const: 'reasoning' } }, required: ['type'] }, then: reasoning },
    { if: { properties: { type: { const: 'web_search_call' } }, required: ['type'] }, then: webSearchCall },
    { if: { properties: { type: { const: 'tool_search_call' } }, required: ['type'] }, then: toolSearchCall },
    { if: { properties: { type: { const: 'tool_search_output' } }, required: ['type'] }, then: toolSearchOutput },
    ...Object.entries(hostedItems).map(([kind, schema]) => ({ if: { properties: { type: { const: kind } }, required: ['type'] }, then: schema })),
    ...Object.entries(clientItems).map(([kind, schema]) => ({ if: { properties: { type: { const: kind } }, required: ['type'] }, then: schema })),
    ...Object.entries(stateItems).map(([kind, schema]) => ({ if: { properties: { type: { const: kind } }, required: ['type'] }, then: schema })),
  ],
};

/** Who may call a tool: the model (`direct`), a program of programmatic tool calling (`programmatic`). */
const allowedCallers = { allowed_callers: { type: ['array', 'null'], items: { enum: ['direct', 'programmatic'] } } };
const functionTool = {
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: ['string', 'null'] },
    parameters: { type: ['object', 'null'] },
    strict: { type: ['boolean', 'null'] },
    defer_loading: { type: ['boolean', 'null'] },
    ...allowedCallers,
  },
};

/** `format`: `{type: "text"}` or `{type: "grammar", syntax: "lark" | "regex", definition}`. */
const customTool = {
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: ['string', 'null'] },
    defer_loading: { type: ['boolean', 'null'] },
    ...allowedCallers,
    format: {
      type: ['object', 'null'],
      required: ['type'],
      properties: { type: { enum: ['text', 'grammar'] }, syntax: { enum: ['lark', 'regex'] }, definition: { type: 'string' } },
      if: { properties: { type: { const: 'grammar' } } },
      then: { required: ['type', 'syntax', 'definition'] },
    },
  },
};

/**
 * OpenAI's hosted web search (`web_search`, `web_search_2025_08_26`, and the preview tools):
 * allowed domains, an approximate user location, the context size, Codex's `external_web_access`.
 */
const webSearchTool = {
  properties: {
    filters: { type: ['object', 'null'], properties: { allowed_domains: { type: ['array', 'null'], items: { type: 'string', minLength: 1 } } } },
    user_location: {
      type: ['object', 'null'],
      properties: { type: { const: 'approximate' }, city: nullableString, region: nullableString, country: nullableString, timezone: nullableString },
    },
    search_context_size: { enum: ['low', 'medium', 'high', null] },
    external_web_access: { type: ['boolean', 'null'] },
    search_content_types: { type: ['array', 'null'], items: { enum: ['text', 'image'] } },
  },
};
const webSearchTools = Object.fromEntries([...WEB_SEARCH_TOOL_TYPES].map((type) => [type, webSearchTool]));

/**
 * OpenAI's other hosted tools (hosted-tools.ts), sent on as declared: what lip reads (an MCP
 * server's label, which names the tool) and what OpenAI requires are checked, so that a request
 * bound to fail upstream gets its 400 naming the field here; values OpenAI may extend (models,
 * sizes, connector ids) are left to it.
 */
const stringList = { type: 'array', items: { type: 'string' } };
const hostedTools: Record<string, Record<string, unknown>> = {
  code_interpreter: {
    required: ['container'],
    properties: {
      ...allowedCallers,
      container: {
        type: ['string', 'object'], description: 'a container id or {"type": "auto", ...}',
        if: { type: 'object' }, then: { required: ['type'], properties: { type: { const: 'auto' }, file_ids: stringList, memory_limit: nullableString } },
      },
    },
  },
  file_search: {
    required: ['vector_store_ids'],
    properties: { vector_store_ids: stringList, max_num_results: { type: 'integer' }, filters: { type: ['object', 'null'] }, ranking_options: { type: 'object' } },
  },
  image_generation: {
    properties: {
      partial_images: { type: 'integer', minimum: 0, maximum: 3 }, output_compression: { type: 'integer' }, model: { type: 'string' }, size: { type: 'string' },
      quality: { type: 'string' }, output_format: { type: 'string' }, background: { type: 'string' }, input_image_mask: { type: 'object' },
    },
  },
  mcp: {
    required: ['server_label'],
    properties: {
      server_label: { type: 'string', minLength: 1, pattern: '^\\S(.*\\S)?$', description: 'a label without surrounding whitespace' },
      server_url: { type: 'string' }, connector_id: { type: 'string' }, authorization: { type: 'string' }, server_description: { type: 'string' },
      headers: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
      allowed_tools: { type: ['array', 'object', 'null'] }, require_approval: { type: ['string', 'object', 'null'] },
      ...allowedCallers,
    },
  },
  // Programmatic tool calling: the model may write a program that calls the tools (programs.ts).
  programmatic_tool_calling: {},
};

/**
 * OpenAI's namespaces (function and custom tools grouped under a name, Codex CLI's MCP servers)
 * and its tool search, run by the client (its description and parameters offered to the model)
 * or by OpenAI.
 */
const namespaceTool = {
  required: ['name', 'tools'],
  properties: {
    name: { type: 'string', minLength: 1, pattern: '^\\S(.*\\S)?$', description: 'a name without surrounding whitespace' },
    description: { type: ['string', 'null'] },
    tools: { type: 'array', minItems: 1, items: tagged({ function: functionTool, custom: customTool }) },
  },
};
const toolSearchTool = {
  properties: { execution, description: { type: ['string', 'null'] }, parameters: { type: ['object', 'null'] } },
};
/**
 * The client-run tools on OpenAI's schema; a shell's `environment` says who runs it, the
 * preview computer tool's display and environment describe the computer (client-tools.ts).
 */
const displaySize = { type: 'integer', minimum: 1 };
const clientTools = {
  shell: { properties: { environment: { type: ['object', 'null'], required: ['type'], properties: { type: { type: 'string' } } }, ...allowedCallers } },
  apply_patch: { properties: allowedCallers },
  local_shell: {},
  computer: {},
  computer_use_preview: {
    required: ['display_width', 'display_height', 'environment'],
    properties: { display_width: displaySize, display_height: displaySize, environment: { type: 'string', minLength: 1 } },
  },
};
const tool = tagged({ function: functionTool, custom: customTool, namespace: namespaceTool, tool_search: toolSearchTool, ...webSearchTools, ...hostedTools, ...clientTools });

const format = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['text', 'json_object', 'json_schema'] }, name: { type: 'string' }, description: { type: ['string', 'null'] }, schema: { type: 'object' }, strict: { type: ['boolean', 'null'] } },
  // A `json_schema` format names its schema and gives it, as OpenAI says ("Missing required parameter: 'text.format.name'").
  if: { properties: { type: { const: 'json_schema' } } },
  then: { required: ['name', 'schema'] },
};

export const responsesRequestSchema: Record<string, unknown> = {
  type: 'object',
  required: ['model'],
  // A tool declaration, also in a tool search's output of an earlier turn.
  $defs: { tool },
  properties: {
    model: { type: 'string', minLength: 1 },
    input: { type: ['string', 'array'], description: 'a string or an array of input items', items: item },
    instructions: { type: ['string', 'null'] },
    stream: { type: ['boolean', 'null'] },
    tools: { type: ['array', 'null'], items: { $ref: '#/$defs/tool' } },
    tool_choice: {
      type: ['string', 'object'],
      description: '"auto", "none", "required", {"type":"function","name":...}, {"type":"custom","name":...}, {"type":"web_search"}, a hosted tool\'s {"type":...} ({"type":"mcp","server_label":...}), a client tool\'s ({"type":"shell"}, {"type":"apply_patch"}, {"type":"computer"}) or {"type":"allowed_tools","mode":"auto"|"required","tools":[...]}',
      if: { type: 'string' },
      then: { enum: ['auto', 'none', 'required'] },
      else: {
        ...tagged({
          function: { required: ['name'], properties: { name: { type: 'string' } } },
          custom: { required: ['name'], properties: { name: { type: 'string' } } },
          mcp: { required: ['server_label'], properties: { server_label: { type: 'string' }, name: nullableString } },
          allowed_tools: {
            required: ['mode', 'tools'],
            properties: { mode: { enum: ['auto', 'required'] }, tools: { type: 'array', minItems: 1, items: { type: 'object', required: ['type'], properties: { type: { type: 'string' }, name: { type: 'string' }, server_label: { type: 'string' } } } } },
          },
        }),
        properties: { type: { enum: ['function', 'custom', 'allowed_tools', ...WEB_SEARCH_TOOL_TYPES, ...HOSTED_TOOL_TYPES, 'shell', 'apply_patch', 'local_shell', 'computer', 'computer_use_preview', 'computer_use'] } },
      },
    },
    parallel_tool_calls: { type: ['boolean', 'null'] },
    temperature: { type: ['number', 'null'] },
    top_p: { type: ['number', 'null'] },
    presence_penalty: { type: ['number', 'null'] },
    frequency_penalty: { type: ['number', 'null'] },
    max_output_tokens: { type: ['integer', 'null'] },
    reasoning: {
      type: ['object', 'null'],
      properties: { effort: { type: ['string', 'null'] }, summary: { type: ['string', 'null'] }, generate_summary: { type: ['string', 'null'] } },
    },
    text: { type: ['object', 'null'], properties: { verbosity: { enum: ['low', 'medium', 'high', null] }, format } },
    metadata: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    user: { type: ['string', 'null'] },
    previous_response_id: { type: ['string', 'null'] },
    store: { type: ['boolean', 'null'] },
    include: { type: ['array', 'null'], items: { type: 'string' } },
    background: { type: ['boolean', 'null'] },
    ...openaiKnobSchemas(RESPONSES_KNOBS),
    // Read for compatibility, not forwarded.
    top_logprobs: TOP_LOGPROBS_SCHEMA,
  },
};
