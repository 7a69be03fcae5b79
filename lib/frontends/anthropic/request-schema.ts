import { CACHE_CONTROL_SCHEMA } from '../cache-control.js';

/**
 * The JSON Schema of an Anthropic Messages request (`POST /v1/messages`), as far as lip reads
 * it. Unknown top-level fields are accepted and ignored; every field that is read is
 * type-checked so that a wrong type gets a 400 naming the field. Block `type` values are
 * checked by the decoder (`messages[2].content[0].type: unknown block type "foo"`).
 */
/** A prompt-cache breakpoint (`{type: "ephemeral", ttl?: "5m" | "1h"}`), on blocks, tools and the request itself. */
const cacheControl = CACHE_CONTROL_SCHEMA;

/** A structured-output format (`output_config.format`, the beta's `output_format`): JSON Schema is the only kind. */
const outputFormat = {
  type: ['object', 'null'],
  required: ['type', 'schema'],
  properties: { type: { const: 'json_schema', description: 'must be "json_schema"' }, schema: { type: 'object' } },
};

const tagged = (kinds: Record<string, Record<string, unknown>>) => ({
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' }, cache_control: cacheControl },
  allOf: Object.entries(kinds).map(([kind, schema]) => ({ if: { properties: { type: { const: kind } }, required: ['type'] }, then: schema })),
});

const base64Source = { required: ['media_type', 'data'], properties: { media_type: { type: 'string' }, data: { type: 'string' } } };
const urlSource = { required: ['url'], properties: { url: { type: 'string', minLength: 1 } } };
const fileSource = { required: ['file_id'], properties: { file_id: { type: 'string' } } };
const textSource = { required: ['data'], properties: { media_type: { type: 'string' }, data: { type: 'string' } } };
const source = (kinds: Record<string, Record<string, unknown>>) => ({ ...tagged(kinds), description: 'a source object with a type' });

const text = { required: ['text'], properties: { text: { type: 'string' } } };
const image = {
  required: ['source'],
  properties: {
    source: source({ base64: base64Source, url: urlSource, file: fileSource }),
    transformations: { type: ['object', 'null'], properties: { oversized_image: { enum: ['downsize', 'error', null] } } },
  },
};
const document = {
  required: ['source'],
  properties: {
    source: source({ base64: base64Source, url: urlSource, file: fileSource, text: textSource, content: { required: ['content'] } }),
    title: { type: ['string', 'null'] },
    context: { type: ['string', 'null'] },
    citations: { type: ['object', 'null'], properties: { enabled: { type: 'boolean' } } },
  },
};
/** A `search_result` block: RAG results the client retrieved, with text blocks only. */
const searchResult = {
  required: ['source', 'title', 'content'],
  properties: {
    source: { type: 'string' },
    title: { type: 'string' },
    content: { type: 'array', description: 'a list of text blocks', items: { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text', description: 'must be "text"' }, text: { type: 'string' }, cache_control: cacheControl } } },
    citations: { type: ['object', 'null'], properties: { enabled: { type: 'boolean' } } },
  },
};
/** Who made a call (`{type: "direct"}`, `{type: "code_execution_20250825", tool_id}`): sent back as written to an Anthropic backend. */
const caller = {
  type: ['object', 'null'],
  required: ['type'],
  properties: { type: { type: 'string', minLength: 1 }, tool_id: { type: 'string', minLength: 1 } },
};
/** The toolset a call's or a result's tool is a member of (`computer`, `browser`: toolsets.ts). */
const toolsetName = { type: ['string', 'null'], minLength: 1 };
const toolUse = {
  required: ['id', 'name'],
  properties: { id: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, input: { type: 'object' }, caller, toolset_name: toolsetName },
};
/** A tool a client-side tool search found (Claude Code's ToolSearch answers with these): Anthropic then loads that deferred tool. */
const toolReference = { required: ['tool_name'], properties: { tool_name: { type: 'string', minLength: 1 } } };
/**
 * The browser after a browser toolset member's call (toolsets.ts): its tabs and what the call
 * changed. The fields other providers' models read as text are checked; the block goes to an
 * Anthropic backend as written.
 */
const browserState = {
  required: ['tabs'],
  properties: {
    tabs: {
      type: 'array',
      items: {
        type: 'object', required: ['tab_id', 'title', 'url'],
        properties: { tab_id: { type: 'string' }, title: { type: 'string' }, url: { type: 'string' }, active: { type: 'boolean' } },
      },
    },
    state_changes: {
      type: ['array', 'null'],
      items: {
        type: 'object', required: ['type'],
        properties: {
          type: { type: 'string' }, tab_id: { type: 'string' }, download_id: { type: 'string' }, url: { type: 'string' },
          path: { type: ['string', 'null'] }, size_bytes: { type: ['integer', 'null'] }, error: { type: ['string', 'null'] },
        },
      },
    },
  },
};
const toolResult = {
  required: ['tool_use_id'],
  properties: {
    tool_use_id: { type: 'string', minLength: 1 },
    content: {
      type: ['string', 'array'], description: 'a string or an array of content blocks',
      items: tagged({ text, image, document, search_result: searchResult, tool_reference: toolReference, browser_state: browserState }),
    },
    is_error: { type: 'boolean' },
    toolset_name: toolsetName,
  },
};
const thinking = { required: ['thinking', 'signature'], properties: { thinking: { type: 'string' }, signature: { type: 'string' } } };
const redactedThinking = { required: ['data'], properties: { data: { type: 'string' } } };
/**
 * A server tool's use in an assistant turn: a hosted web search's (with the
 * `web_search_tool_result` answering it: SearchHistory in decode-content.ts) or another server
 * tool's (passed as written: hosted-tools.ts).
 */
const serverToolUse = {
  required: ['id', 'name'],
  properties: { id: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, input: { type: 'object' } },
};
const webSearchResult = {
  type: 'object',
  required: ['type', 'url'],
  properties: {
    type: { const: 'web_search_result', description: 'must be "web_search_result"' },
    url: { type: 'string', minLength: 1 },
    title: { type: ['string', 'null'] },
    encrypted_content: { type: 'string' },
    page_age: { type: ['string', 'null'] },
  },
};
const webSearchToolResult = {
  required: ['tool_use_id', 'content'],
  properties: {
    tool_use_id: { type: 'string', minLength: 1 },
    content: {
      type: ['array', 'object'],
      description: 'a list of web_search_result blocks or a web_search_tool_result_error',
      items: webSearchResult,
      required: ['type', 'error_code'],
      properties: { type: { const: 'web_search_tool_result_error', description: 'must be "web_search_tool_result_error"' }, error_code: { type: 'string' } },
    },
  },
};

/**
 * The blocks of the server tools lip passes through (hosted-tools.ts): each is sent back as
 * written, so only what places it is checked (the `tool_use_id` a result answers, the file an
 * upload names); the content is Anthropic's to read.
 */
const hostedResult = {
  required: ['tool_use_id', 'content'],
  properties: { tool_use_id: { type: 'string', minLength: 1 }, content: { type: 'object', description: 'a result or error object' } },
};
const containerUpload = { required: ['file_id'], properties: { file_id: { type: 'string', minLength: 1 } } };
/**
 * The MCP connector's blocks (Anthropic called a server of `mcp_servers`): a call of a server's
 * tool, its result, the server's tool listing; as the other hosted blocks, checked only as far as
 * places them, the rest passed as written.
 */
const mcpToolUse = {
  required: ['id', 'name', 'server_name'],
  properties: { id: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, server_name: { type: 'string', minLength: 1 } },
};
const mcpToolResult = {
  required: ['tool_use_id'],
  properties: { tool_use_id: { type: 'string', minLength: 1 }, content: { type: ['string', 'array'], description: 'a string or an array of text blocks' }, is_error: { type: 'boolean' } },
};
const mcpToolListing = {
  required: ['mcp_server_name', 'tools'],
  properties: { mcp_server_name: { type: 'string', minLength: 1 }, tools: { type: 'array', items: { type: 'object' } } },
};
/**
 * A `compaction` block (Anthropic summarized the turns before it; hosted-tools.ts): the summary
 * another provider reads (`content`: null for a failed compaction, never empty), the rest
 * (`encrypted_content`, `signature`, `tool_changes`) passed as written.
 */
const compaction = {
  properties: {
    content: { type: ['string', 'null'], minLength: 1 },
    encrypted_content: { type: ['string', 'null'] },
    signature: { type: ['string', 'null'] },
    tool_changes: { type: ['array', 'null'], items: { type: 'object' } },
  },
};

const block = tagged({
  text, image, document, search_result: searchResult, tool_use: toolUse, tool_result: toolResult, thinking, redacted_thinking: redactedThinking,
  server_tool_use: serverToolUse, web_search_tool_result: webSearchToolResult,
  web_fetch_tool_result: hostedResult, code_execution_tool_result: hostedResult, bash_code_execution_tool_result: hostedResult,
  text_editor_code_execution_tool_result: hostedResult, tool_search_tool_result: hostedResult, container_upload: containerUpload,
  mcp_tool_use: mcpToolUse, mcp_tool_result: mcpToolResult, mcp_tool_listing: mcpToolListing,
  advisor_tool_result: hostedResult, compaction,
});

const message = {
  type: 'object',
  required: ['role', 'content'],
  properties: {
    role: { enum: ['user', 'assistant', 'system'] },
    content: { type: ['string', 'array'], description: 'a string or an array of content blocks', items: block },
  },
};

/**
 * The fields of a computer-use tool (`computer_20250124`, ...; client-tools.ts) that lip reads to
 * describe the display to other providers' models; the display's size is required, as Anthropic
 * requires it.
 */
const computerTool = {
  if: { properties: { type: { type: 'string', pattern: '^computer_\\d{8}$' } }, required: ['type'] },
  then: {
    required: ['display_width_px', 'display_height_px'],
    properties: {
      display_width_px: { type: 'integer', minimum: 1 },
      display_height_px: { type: 'integer', minimum: 1 },
      display_number: { type: ['integer', 'null'], minimum: 0 },
      enable_zoom: { type: ['boolean', 'null'] },
    },
  },
};

/** Anthropic's web search server tool (`web_search_20250305`, ...; web-search-tool.ts): its options' types. */
const domains = { type: ['array', 'null'], items: { type: 'string', minLength: 1 } };
const webSearchTool = {
  if: { properties: { type: { type: 'string', pattern: '^web_search_\\d{8}$' } }, required: ['type'] },
  then: {
    properties: {
      max_uses: { type: ['integer', 'null'], minimum: 1 },
      allowed_domains: domains,
      blocked_domains: domains,
      user_location: {
        type: ['object', 'null'],
        required: ['type'],
        properties: {
          type: { const: 'approximate', description: 'must be "approximate"' },
          city: { type: ['string', 'null'] }, region: { type: ['string', 'null'] }, country: { type: ['string', 'null'] }, timezone: { type: ['string', 'null'] },
        },
      },
    },
  },
};

/**
 * The web fetch server tool (`web_fetch_20250910`, ...; hosted-tools.ts): the types of its
 * options, so that a wrong one is a 400 naming it rather than the upstream's answer. The
 * declaration goes to an Anthropic backend as written.
 */
const webFetchTool = {
  if: { properties: { type: { type: 'string', pattern: '^web_fetch_\\d{8}$' } }, required: ['type'] },
  then: {
    properties: {
      max_uses: { type: ['integer', 'null'], minimum: 1 },
      max_content_tokens: { type: ['integer', 'null'], minimum: 1 },
      allowed_domains: domains,
      blocked_domains: domains,
      citations: { type: ['object', 'null'], properties: { enabled: { type: 'boolean' } } },
    },
  },
};
/**
 * Anthropic's computer and browser toolsets (`computer_toolset_20260801`, ...; toolsets.ts): each
 * member's switches, keyed by member (the decoder names a key that is no member). They have no
 * `name`: each member is called by its own.
 */
const TOOLSET_TYPE = '^(computer|browser)_toolset_\\d{8}$';
const memberConfig = { type: ['object', 'null'], additionalProperties: false, properties: { enabled: { type: ['boolean', 'null'] }, defer_loading: { type: ['boolean', 'null'] } } };
const toolsetTool = {
  if: { properties: { type: { type: 'string', pattern: TOOLSET_TYPE } }, required: ['type'] },
  then: { properties: { configs: { type: ['object', 'null'], additionalProperties: memberConfig } } },
};
/** A per-tool switch of an MCP toolset (`default_config`, each of `configs`). */
const mcpToolConfig = { type: 'object', properties: { enabled: { type: 'boolean' }, defer_loading: { type: 'boolean' } } };
/**
 * The MCP connector's `mcp_toolset` (the tools of one of `mcp_servers`; hosted-tools.ts): the
 * server it names and its switches' types. It has no `name`: every other tool needs one.
 */
const namedTool = {
  if: { properties: { type: { const: 'mcp_toolset' } }, required: ['type'] },
  then: {
    required: ['mcp_server_name'],
    properties: {
      mcp_server_name: { type: 'string', minLength: 1 },
      default_config: mcpToolConfig,
      configs: { type: ['object', 'null'], additionalProperties: mcpToolConfig },
      tools: { type: ['array', 'null'], items: { type: 'object', required: ['name', 'input_schema'], properties: { name: { type: 'string', minLength: 1 }, input_schema: { type: 'object' } } } },
    },
  },
  else: { if: toolsetTool.if, else: { required: ['name'] } },
};
const tool = {
  type: 'object',
  properties: {
    type: { type: ['string', 'null'] },
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    input_schema: { type: 'object' },
    strict: { type: ['boolean', 'null'] },
    cache_control: cacheControl,
    /**
     * The fields any tool may have: whether it loads only once a tool search found it, who may
     * call it (`direct`, a code execution version), example inputs, eager input streaming
     * (client-tools.ts toolFields; a hosted tool keeps them in its declaration).
     */
    defer_loading: { type: 'boolean' },
    allowed_callers: { type: 'array', items: { type: 'string', minLength: 1 } },
    input_examples: { type: 'array', items: { type: 'object' } },
    eager_input_streaming: { type: ['boolean', 'null'] },
  },
  allOf: [namedTool, computerTool, webSearchTool, webFetchTool, toolsetTool],
};

export const messagesRequestSchema: Record<string, unknown> = {
  type: 'object',
  required: ['model', 'max_tokens', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    max_tokens: { type: 'integer', minimum: 1 },
    messages: { type: 'array', items: message },
    system: { type: ['string', 'array'], description: 'a string or an array of text blocks', items: tagged({ text }) },
    stream: { type: 'boolean' },
    stop_sequences: { type: 'array', items: { type: 'string' } },
    temperature: { type: 'number' },
    top_p: { type: 'number' },
    top_k: { type: 'integer' },
    tools: { type: 'array', items: tool },
    tool_choice: {
      type: 'object',
      required: ['type'],
      properties: { type: { enum: ['auto', 'any', 'tool', 'none'] }, name: { type: 'string' }, disable_parallel_tool_use: { type: 'boolean' } },
    },
    thinking: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['enabled', 'disabled', 'adaptive', 'between_tools'] }, budget_tokens: { type: 'integer', minimum: 0 }, display: { type: ['string', 'null'] },
        block_binding: { type: ['object', 'null'], properties: { prefix_mismatch_behavior: { enum: ['error', 'drop_block', null] } } },
      },
    },
    metadata: { type: 'object', properties: { user_id: { type: ['string', 'null'] } } },
    output_config: {
      type: 'object',
      properties: {
        effort: { type: ['string', 'null'] }, format: outputFormat,
        task_budget: {
          type: ['object', 'null'], required: ['type', 'total'],
          properties: { type: { const: 'tokens', description: 'must be "tokens"' }, total: { type: 'integer', minimum: 1 }, remaining: { type: ['integer', 'null'], minimum: 0 } },
        },
      },
    },
    output_format: outputFormat,
    /** Automatic caching: a breakpoint on the last cacheable block (with-automatic-cache.ts). */
    cache_control: cacheControl,
    /** Sent on only by the anthropic backend (Call.providerOptions.anthropic). */
    service_tier: { type: 'string' },
    inference_geo: { type: ['string', 'null'] },
    speed: { enum: ['standard', 'fast', null] },
    /** The code execution container to reuse: its id, or `{id?, skills?}` (sent on only by the anthropic backend). */
    container: {
      type: ['string', 'object', 'null'],
      description: 'a container id or an object with id and skills',
      properties: { id: { type: ['string', 'null'] }, skills: { type: ['array', 'null'], items: { type: 'object' } } },
    },
    /**
     * The MCP connector's servers (`mcp_servers`; the `mcp-client-…` betas), sent on as written by
     * an Anthropic backend only. `authorization_token` is the client's secret for the server.
     */
    mcp_servers: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        required: ['type', 'url', 'name'],
        properties: {
          type: { const: 'url', description: 'must be "url"' },
          url: { type: 'string', minLength: 1 },
          name: { type: 'string', minLength: 1 },
          authorization_token: { type: ['string', 'null'] },
          tool_configuration: {
            type: ['object', 'null'],
            properties: { enabled: { type: ['boolean', 'null'] }, allowed_tools: { type: ['array', 'null'], items: { type: 'string' } } },
          },
        },
      },
    },
    context_management: {
      type: ['object', 'null'],
      properties: { edits: { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } } },
    },
    /** Server-held conversation state (a thread): lip holds it in its continuity store, whichever backend answers (decode-request.ts). */
    thread: {
      type: ['object', 'null'],
      required: ['type'],
      properties: { type: { enum: ['create', 'continue'] }, previous_message_id: { type: 'string', minLength: 1 } },
      if: { properties: { type: { const: 'continue' } } },
      then: { required: ['previous_message_id'] },
    },
    /** Who is billed (`bill_to`: `self`, `user_profile`); lip can bill only its own credentials (decode-request.ts). */
    billing_policy: {
      type: ['object', 'null'],
      required: ['type'],
      properties: { type: { const: 'billing_policy', description: 'must be "billing_policy"' }, bill_to: { enum: ['self', 'user_profile', null] } },
    },
    /** A compaction request (`{type: "summarize", instructions?}`): the answer is one `compaction` block (sent on only by the anthropic backend). */
    compaction: {
      type: ['object', 'null'],
      required: ['type'],
      properties: { type: { type: 'string', minLength: 1 }, instructions: { type: ['string', 'null'] } },
    },
  },
};
